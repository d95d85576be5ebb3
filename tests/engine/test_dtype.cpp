#include <gtest/gtest.h>

#include "engine/dtype.h"

using engine::DType;

TEST(DType, BlockGeometryMatchesGgufSpec) {
    EXPECT_EQ(engine::dtype_row_bytes(DType::F32, 10), 40u);
    EXPECT_EQ(engine::dtype_row_bytes(DType::BF16, 10), 20u);
    EXPECT_EQ(engine::dtype_row_bytes(DType::Q4_0, 64), 36u);
    EXPECT_EQ(engine::dtype_row_bytes(DType::Q4_1, 64), 40u);
    EXPECT_EQ(engine::dtype_row_bytes(DType::Q8_0, 32), 34u);
    EXPECT_EQ(engine::dtype_row_bytes(DType::Q4_K, 512), 288u);
    EXPECT_EQ(engine::dtype_row_bytes(DType::Q6_K, 256), 210u);
    EXPECT_EQ(engine::dtype_row_bytes(DType::Q5_K, 256), 176u);
}

TEST(DType, UnknownAndRemovedIdsAreRejected) {
    EXPECT_FALSE(engine::dtype_info(4).has_value());   // Q4_2, removed
    EXPECT_FALSE(engine::dtype_info(31).has_value());  // removed
    EXPECT_FALSE(engine::dtype_info(9999).has_value());
    EXPECT_TRUE(engine::dtype_info(12).has_value());
}

TEST(DType, NamesRoundTripCaseInsensitively) {
    EXPECT_EQ(engine::dtype_name(DType::Q4_K), "q4_K");
    EXPECT_EQ(engine::dtype_from_name("Q4_K"), DType::Q4_K);
    EXPECT_EQ(engine::dtype_from_name("bf16"), DType::BF16);
    EXPECT_FALSE(engine::dtype_from_name("q9_9").has_value());
}
