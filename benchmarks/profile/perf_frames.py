#!/usr/bin/env python3
"""Shares of the REST path's frames in a `perf script` text (what benchmarks/profile/perf.sh records):
for each group, the share of all samples with a matching frame anywhere on the stack; with --top N,
also the N frames with the most samples on top of the stack (self time). With --stages, each sample
counted once, in the stage of the innermost frame that names one (a split of the server's CPU that adds
up to 100%: kernel time goes to the stage that made the system call).

  perf_frames.py profile.script [--top 30] [--stages]
"""
import argparse
import re
from collections import Counter

GROUPS = [
    ("ONNX Runtime (native)", r"libonnxruntime"),
    ("Kernel", r"\[kernel\.kallsyms\]"),
    ("Kestrel, per request (ProcessRequests)", r"HttpProtocol\+<ProcessRequests>"),
    ("Infer handler (InferenceEndpoint)", r"InferenceEndpoint\+<InferAsync>"),
    ("Decoding the JSON request", r"JsonInferenceRequestReader::Read"),
    ("  of it: FP32 text to float", r"JsonElementReaders\+Fp32::Read"),
    ("Encoding the JSON response", r"JsonInferenceResponseWriter::Write"),
    ("  of it: the tensors' numbers", r"JsonTensorDataWriter::Write"),
    ("Routing and the model version", r"InferenceRouter\+<(RouteAsync|RunAsync|RunRoutedAsync)>"),
    ("Endpoint routing (matching the path)", r"DfaMatcher::MatchAsync"),
    ("ASP.NET Core hosting (HostingApplication)", r"HostingApplication::"),
    ("  of it: the request's Activity", r"StartActivity|Activity::Start"),
    ("Metrics (OpenTelemetry, or the version's totals)", r"OpenTelemetry|RecordMeasurement|VersionTotals::Record|UsherMetrics::RoutedTo"),
    ("Container look-ups", r"GetRequiredService|ServiceProviderServiceExtensions::GetService"),
    ("Flushing the response", r"FlushAsync"),
    ("Thread pool hand-off of a queued request", r"ModelVersion\+<InferAsync>d__\d+\]::MoveNext\(class"),
]

# Innermost match wins: ONNX Runtime inside the handler counts as ONNX Runtime, not as the handler.
STAGES = [
    # Loopback TCP: a send also runs the receiving side's network stack. libc has no frame pointers,
    # so these stacks mostly stop at libc: counted by the call, whoever made it.
    ("Socket system calls (send, recv)", r"__send\b|__libc_recv\b|__libc_sendmsg|__libc_recvmsg"),
    ("ONNX Runtime call", r"libonnxruntime|RunWithBinding|OrtRun|OrtValue|IoBinding"),
    ("JSON decode", r"JsonInferenceRequestReader|JsonSinglePassReader"),
    ("JSON encode", r"JsonInferenceResponseWriter|InferenceEndpoint::WriteJson"),
    ("Body read", r"RequestBody|HttpRequestStream|RequestMemory"),
    ("Router, version, scheduler, backend wrapper", r"InferenceRouter|ModelVersion|DynamicBatcher|RequestValidator|BatchRunner|OnnxSession|Scheduling|VersionTotals|Telemetry"),
    ("Handler, the rest (headers, Server-Timing)", r"InferenceEndpoint|ServerTiming"),
    ("Response flush and write", r"FlushAsync|Http1OutputProducer|PipeWriter|WriteResponseHeaders|ProduceEnd|FireOnStarting"),
    ("Endpoint routing", r"EndpointRoutingMiddleware|DfaMatcher"),
    ("Other middleware (errors, admin, API keys, compression)", r"ErrorHandling|ExceptionHandler|AdminAuthentication|ApiAccess|ResponseCompression|UseWhen"),
    ("Hosting (HostingApplication)", r"HostingApplication"),
    ("Kestrel HTTP/1.1 (parse, request loop)", r"HttpProtocol|Http1Connection|HttpParser|HttpRequestHeaders|KestrelConnection|HttpConnection"),
    ("Socket transport", r"SocketConnection|SocketAsyncEngine|SocketAsyncContext|SocketSender|SocketReceiver|System\.Net\.Sockets"),
    ("System.IO.Pipelines", r"System\.IO\.Pipelines"),
    ("Thread pool (dispatch, idle spinning, waits)", r"ThreadPool|WorkerThread|sched_yield|futex|LowLevelLifoSemaphore"),
]

STAGE_EXPRESSIONS = [(label, re.compile(pattern)) for label, pattern in STAGES]


def stage(lines, expressions=STAGE_EXPRESSIONS, elsewhere="Elsewhere (the runtime, native frames with no caller)"):
    """The label of the first of expressions that a frame matches, the innermost frame first (benchmarks/batch/perf_stages.py uses it too)."""
    for line in lines:
        for label, expression in expressions:
            if expression.search(line):
                return label
    return elsewhere


def frames(sample):
    return [line.strip() for line in sample.splitlines()[1:] if line.startswith((" ", "\t"))]


def name(frame):
    frame = re.sub(r"^[0-9a-f]+\s+", "", frame)
    return re.sub(r"\s*\(\S*\)$", "", frame)[:160]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("script")
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--stages", action="store_true")
    arguments = parser.parse_args()
    with open(arguments.script, encoding="utf-8", errors="replace") as file:
        samples = [s for s in file.read().split("\n\n") if s.strip()]
    total = max(1, len(samples))
    print(f"{len(samples)} samples\n")
    print("| Frames | Share of samples |")
    print("|---|---:|")
    for label, pattern in GROUPS:
        expression = re.compile(pattern)
        hits = sum(1 for s in samples if expression.search(s))
        print(f"| {label} | {100 * hits / total:.1f}% |")
    if arguments.stages:
        counts = Counter(stage(f) for f in map(frames, samples) if f)
        print("\n| Stage (each sample once, innermost) | Share of samples |\n|---|---:|")
        for label, count in counts.most_common():
            print(f"| {label} | {100 * count / total:.1f}% |")
    if arguments.top:
        own = Counter(name(f[0]) for f in map(frames, samples) if f)
        print("\n| Self | Frame |\n|---:|---|")
        for frame, count in own.most_common(arguments.top):
            print(f"| {100 * count / total:.2f}% | `{frame}` |")


if __name__ == "__main__":
    main()
