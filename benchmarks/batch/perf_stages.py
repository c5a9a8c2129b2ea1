#!/usr/bin/env python3
"""CPU per row of a batch scoring process by stage, from a `perf script` text of a whole run recorded with
`perf record -e cpu-clock -F HZ -g` (what benchmarks/batch/profile.sh records). Each sample is counted once,
in the stage of the innermost frame that names one, so the stages add up to the process's CPU. libc has no
frame pointers, so a stack under a system call mostly stops at libc: the kernel's entry point (pread64,
pwrite64, fsync, ...) names the stage instead. With --ort-report (the text of `perf report --no-children
--dso libonnxruntime.so --sort sym -n -g none --stdio`), also ONNX Runtime's samples by 4 KiB page of its
code: the library is stripped, and the page of its GEMM kernel is the one that dominates.

  perf_stages.py run.script --hz 999 --rows 200000                 # µs per row from the samples
  perf_stages.py limit.script --hz 999 --cpu-us-per-row 25.1       # shares of a CPU per row measured elsewhere
"""
import argparse
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "profile"))
from perf_frames import stage  # noqa: E402  (the innermost-match rule, shared with the serve profile)

# Innermost match wins: a page fault in Snappy's copy is a page fault, ONNX Runtime's memcpy is ONNX Runtime.
STAGES = [
    ("ONNX Runtime", r"libonnxruntime"),
    ("Reading the input (pread64)", r"__x64_sys_pread64|__libc_pread"),
    ("Writing the output (pwrite64)", r"__x64_sys_pwrite64|__libc_pwrite"),
    ("Flushing and dropping committed pages (fsync, fadvise64)", r"__x64_sys_fsync|__x64_sys_fdatasync|__x64_sys_fadvise64"),
    ("Page faults", r"exc_page_fault"),
    ("Other system calls", r"__x64_sys_|__do_sys_"),
    ("JIT (libclrjit)", r"libclrjit"),
    ("Decoding the input (page reader, Snappy)", r"ParquetListColumnReader|ParquetPageHeader|Snappier"),
    ("Filling chunks (block copy, finite check)", r"ParquetRowSource|ChunkBuilder|ParquetNumbers|ParquetColumnData|FiniteValues"),
    ("Copies in and out of ONNX Runtime's buffers", r"DirectBinding|DirectBatchWorkers|ModelSession|OnnxDirectRunner"),
    ("Encoding the output (pages)", r"ParquetListPages|ParquetOutputFormat|ParquetObjects"),
    ("Checksums of parts (XXH128)", r"XxHash"),
    ("Committing chunks (chunk store, parts)", r"ChunkStore|PartStream|EncodedPart|BatchManifest"),
    ("Garbage collector", r"gc_heap|GCHeap|WKS::|SVR::"),
]
STAGE_EXPRESSIONS = [(label, re.compile(pattern)) for label, pattern in STAGES]
REPORT_LINE = re.compile(r"^\s*[0-9.]+%\s+(\d+)\s+\[\.\]\s+0x([0-9a-f]+)")


def samples(path):
    comm, frames = None, []
    with open(path, errors="replace") as text:
        for line in text:
            if not line.strip():
                if comm is not None:
                    yield comm, frames
                comm, frames = None, []
            elif not line.startswith((" ", "\t")):
                comm, frames = line[:16].strip(), []
            else:
                frames.append(line.strip())
    if comm is not None:
        yield comm, frames


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("script")
    parser.add_argument("--hz", type=float, required=True, help="perf record's -F")
    parser.add_argument("--rows", type=float, help="rows the recorded process scored")
    parser.add_argument("--cpu-us-per-row", type=float, help="CPU per row measured elsewhere, split by the shares")
    parser.add_argument("--ort-report", help="perf report --sort sym of libonnxruntime.so, for its code pages")
    args = parser.parse_args()

    stages, threads, model_threads = Counter(), Counter(), Counter()
    total = 0
    for comm, frames in samples(args.script):
        total += 1
        label = stage(frames, STAGE_EXPRESSIONS, "Other (runtime, start-up, unattributed)")
        stages[label] += 1
        thread = re.sub(r"\s*\d+$", "", comm)
        threads[thread] += 1
        if label == "ONNX Runtime":
            model_threads[thread] += 1
    if total == 0:
        raise SystemExit(f"perf_stages.py: no samples in {args.script}")

    def per_row(count):
        if args.rows:
            return f"{count / args.hz * 1e6 / args.rows:7.2f}"
        if args.cpu_us_per_row:
            return f"{count / total * args.cpu_us_per_row:7.2f}"
        return "      -"

    print(f"{total} samples, {per_row(total).strip()} µs of CPU per row")
    print("| Stage | Samples | Share | µs per row |")
    print("|---|---:|---:|---:|")
    for label, count in stages.most_common():
        print(f"| {label} | {count} | {100 * count / total:.1f}% | {per_row(count).strip()} |")
    print()
    print("| Thread | Samples | Share | of them ONNX Runtime, µs per row |")
    print("|---|---:|---:|---:|")
    for name, count in threads.most_common(6):
        print(f"| {name} | {count} | {100 * count / total:.1f}% | {per_row(model_threads[name]).strip()} |")
    if args.ort_report:
        pages = Counter()
        with open(args.ort_report, errors="replace") as report:
            for line in report:
                if match := REPORT_LINE.match(line):
                    pages[int(match.group(2), 16) // 4096 * 4096] += int(match.group(1))
        print()
        print("ONNX Runtime's code pages by samples (offset in libonnxruntime.so; µs per row):")
        for page, count in pages.most_common(3):
            print(f"  {page:#x}: {count} samples, {per_row(count).strip()}")


main()
