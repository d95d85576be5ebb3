#!/usr/bin/env python3
"""Peer for bench_train.py: the same SFT workload (8 conversations, batch 4, rank-16 LoRA on all linear
layers, AdamW) in PyTorch + transformers + peft on the CPU, with SmolLM2 dequantized from the same GGUF to fp32.
Prints the median step time and training tokens/s. Needs torch, transformers, gguf, peft (e.g. the
tests/tools reference venv)."""
import json
import os
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import LoraConfig, get_peft_model
torch.set_num_threads(int(os.environ.get("THREADS", os.cpu_count())))
d=os.path.expanduser("~/.cache/crucible/models"); f="SmolLM2-135M-Instruct.Q4_1.gguf"
tok=AutoTokenizer.from_pretrained(d, gguf_file=f)
m=AutoModelForCausalLM.from_pretrained(d, gguf_file=f, torch_dtype=torch.float32)
m=get_peft_model(m, LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj","k_proj","v_proj","o_proj","gate_proj","up_proj","down_proj"], task_type="CAUSAL_LM"))
opt=torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-3)
topics=["the sea","mountains","coffee","trains","libraries","rain","bicycles","the moon"]
convs=[]
for t in topics:
    a=(f"Here is a short note about {t}. "*6).strip()
    ids=tok.apply_chat_template([{"role":"user","content":f"Tell me about {t}."},{"role":"assistant","content":a}], tokenize=True)
    ids = ids["input_ids"] if hasattr(ids, "keys") else (ids.ids if hasattr(ids, "ids") else ids)
    convs.append(torch.tensor([list(ids)]))
times=[];ntok=[]
for step in range(4):
    batch=convs[(step*4)%8:(step*4)%8+4]
    t0=time.perf_counter(); n=0
    for x in batch:
        out=m(input_ids=x, labels=x); (out.loss/len(batch)).backward(); n+=x.shape[1]
    opt.step(); opt.zero_grad()
    times.append(time.perf_counter()-t0); ntok.append(n)
import statistics
print("torch", torch.__version__, "median step s %.2f  tok/s %.0f"%(statistics.median(times), statistics.median([n/t for n,t in zip(ntok,times)])))
