#!/usr/bin/env bash
# Why the shadow's thread keeps normal priority: how long a garbage collection of a .NET process
# lasts while one of its threads runs .NET code at a lowered priority on a CPU that other programs
# keep busy. A probe (built outside this repository, in a scratch folder) starts one thread that
# runs managed code without ever blocking, at normal priority, nice 19 or SCHED_IDLE, and then
# times COLLECTIONS gen0 collections from its main thread (GC.GetTotalPauseDuration around each
# GC.Collect(0), 50 ms apart). The whole probe is pinned to one CPU beside HOGS busy shell loops
# at normal priority (what a loaded machine looks like to one core). Each collection must wait until
# every thread running .NET code reaches a safe point, so a thread the kernel schedules last holds
# the collection until the CPU has nothing else to do. Modes are interleaved per round.
#   benchmarks/shadow-gc-stall.sh            (ROUNDS=2 COLLECTIONS=30 HOGS=2 CPU=1)
set -euo pipefail
rounds="${ROUNDS:-2}" collections="${COLLECTIONS:-30}" hogs="${HOGS:-2}" cpu="${CPU:-1}"
work="$(mktemp -d /tmp/usher-gc-stall.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cat >"$work/GcStall.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
</Project>
XML
cat >"$work/Program.cs" <<'CS'
using System.Runtime.InteropServices;

var mode = args[0];
var count = int.Parse(args[1]);
using var ready = new ManualResetEventSlim();
var worker = new Thread(() =>
{
    var param = 0;
    if (mode == "idle" && Native.sched_setscheduler(0, 5, ref param) != 0) throw new InvalidOperationException("SCHED_IDLE refused");
    if (mode == "nice" && Native.setpriority(0, Native.gettid(), 19) != 0) throw new InvalidOperationException("nice 19 refused");
    ready.Set();
    long sum = 0;
    var data = new int[256];
    while (true)
    {
        for (var i = 0; i < data.Length; i++) sum += data[i] += i;
        if (sum == 42) Console.Write("");
    }
}) { IsBackground = true };
worker.Start();
ready.Wait();
Thread.Sleep(200);
var pauses = new List<double>();
for (var i = 0; i < count; i++)
{
    var before = GC.GetTotalPauseDuration();
    GC.Collect(0);
    pauses.Add((GC.GetTotalPauseDuration() - before).TotalMilliseconds);
    Thread.Sleep(50);
}
pauses.Sort();
Console.WriteLine($"{mode,-6} {count} collections, pause ms: median {pauses[count / 2]:F2}, p90 {pauses[count * 9 / 10]:F2}, max {pauses[^1]:F2}, total {pauses.Sum():F1}");

static class Native
{
    [DllImport("libc", SetLastError = true)] public static extern int sched_setscheduler(int pid, int policy, ref int param);
    [DllImport("libc", SetLastError = true)] public static extern int setpriority(int which, int who, int prio);
    [DllImport("libc")] public static extern int gettid();
}
CS
dotnet build "$work/GcStall.csproj" -c Release -o "$work/out" --nologo -v q >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
for _ in $(seq 1 "$hogs"); do taskset -c "$cpu" sh -c 'while :; do :; done' & pids+=($!); done
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg); CPU $cpu, $hogs busy loops beside the probe"
for round in $(seq 1 "$rounds"); do
  for mode in normal idle nice; do
    echo "round $round: $(taskset -c "$cpu" dotnet "$work/out/GcStall.dll" "$mode" "$collections")"
  done
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
