// Reference-based text similarity in [0, 1] (1 = identical): the metrics of
// OpenAI's text_similarity grader that need no model. `candidate` is the
// response, `reference` the expected answer.
//
// - fuzzy_match: Indel similarity over code points, 1 - (insertions + deletions)
//   / (len(a) + len(b)); case-sensitive, as rapidfuzz's ratio/100.
// - rouge_1 .. rouge_5: F1 of clipped n-gram overlap; rouge_l: F1 from the
//   longest common subsequence. Tokens are word_tokens() (lower case,
//   punctuation dropped).
// - bleu: sentence BLEU-4 with brevity penalty and add-one smoothing of the
//   2- to 4-gram precisions (Lin and Och's "BLEU+1"), so short answers do not
//   collapse to 0. gleu: Google-BLEU, min(precision, recall) over all 1- to
//   4-grams.
// Two empty texts are identical (1); one empty text scores 0.
// cosine (embeddings) and meteor (WordNet synonyms) are not provided.
#pragma once

#include <optional>
#include <string_view>

namespace evals {

enum class SimilarityMetric { fuzzy_match, bleu, gleu, rouge_1, rouge_2, rouge_3, rouge_4, rouge_5, rouge_l };

std::string_view similarity_metric_name(SimilarityMetric metric);  // "fuzzy_match", "rouge_l", ...
std::optional<SimilarityMetric> similarity_metric_from_name(std::string_view name);

double similarity(SimilarityMetric metric, std::string_view candidate, std::string_view reference);

double fuzzy_ratio(std::string_view a, std::string_view b);
double rouge_n(std::string_view candidate, std::string_view reference, int n);  // n >= 1
double rouge_l(std::string_view candidate, std::string_view reference);
double bleu(std::string_view candidate, std::string_view reference);
double gleu(std::string_view candidate, std::string_view reference);

}  // namespace evals
