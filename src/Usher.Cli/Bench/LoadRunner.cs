using System.Collections.Concurrent;
using System.Diagnostics;

namespace Usher.Cli.Bench;

/// <summary>
/// Runs one measured point. Closed loop: <see cref="BenchSettings.Concurrency"/> workers, each sending
/// its next request as soon as the previous answer has been read. Open loop: requests start at
/// seeded Poisson arrival times at <see cref="BenchSettings.Rate"/> whether or not earlier ones have
/// been answered, and latency counts from the scheduled arrival, so queueing shows (a closed loop
/// slows its own arrivals down when the server slows, and hides it).
/// </summary>
internal sealed class LoadRunner(BenchSettings settings, Func<IRequestSender> createSender)
{
    private long _completed;

    /// <summary>Requests answered so far (warm-up included), for a progress line.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Requests the open loop could not start because <see cref="BenchSettings.Concurrency"/> were already in flight.</summary>
    public const string Dropped = "dropped (client at max in flight)";

    public async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + ToTicks(settings.Warmup);
        var measureUntil = measureFrom + ToTicks(settings.Duration);
        var recorders = settings.OpenLoop
            ? await OpenLoopAsync(start, measureFrom, measureUntil, cancellationToken).ConfigureAwait(false)
            : await ClosedLoopAsync(measureFrom, measureUntil, cancellationToken).ConfigureAwait(false);
        return BenchResult.Summarize(settings, recorders, Completed, Environment.CpuUsage.TotalTime - cpuBefore);
    }

    private async Task<IReadOnlyList<WorkerRecorder>> ClosedLoopAsync(long measureFrom, long measureUntil, CancellationToken cancellationToken)
    {
        var recorders = new WorkerRecorder[settings.Concurrency];
        var workers = new Task[settings.Concurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            var recorder = recorders[i] = new WorkerRecorder();
            var sender = createSender();
            workers[i] = Task.Run(() => WorkAsync(sender, recorder, measureFrom, measureUntil, cancellationToken), cancellationToken);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        return recorders;
    }

    private async Task WorkAsync(IRequestSender sender, WorkerRecorder recorder, long measureFrom, long measureUntil, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            if (started >= measureUntil)
            {
                return;
            }

            var (failure, split) = await sender.SendAsync(cancellationToken).ConfigureAwait(false);
            var finished = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _completed);
            if (started >= measureFrom && finished <= measureUntil)
            {
                Record(recorder, failure, split, finished - started);
            }
        }
    }

    private async Task<IReadOnlyList<WorkerRecorder>> OpenLoopAsync(long start, long measureFrom, long measureUntil, CancellationToken cancellationToken)
    {
        // A sender and its recorder travel together: a request takes a free pair, and gives it back
        // when answered, so no two requests share either. Every pair ever made is summarized.
        var free = new ConcurrentStack<(IRequestSender Sender, WorkerRecorder Recorder)>();
        var all = new List<WorkerRecorder>();
        var dropped = new WorkerRecorder();
        all.Add(dropped);
        var inFlight = new List<Task>();
        var random = new Random(settings.Seed);
        var meanGapTicks = Stopwatch.Frequency / settings.Rate!.Value;
        double next = start;
        var running = 0;
        while (!cancellationToken.IsCancellationRequested && (long)next < measureUntil)
        {
            var arrival = (long)next;

            // Exponential inter-arrival times (inverse CDF; 1 - U is in (0, 1], so the log is finite).
            next += -Math.Log(1.0 - random.NextDouble()) * meanGapTicks;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), arrival);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                // Late by up to a timer tick: that lateness is in the latency, which counts from the arrival.
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            var measured = arrival >= measureFrom;
            if (Volatile.Read(ref running) >= settings.Concurrency)
            {
                if (measured)
                {
                    dropped.Failure(Dropped);
                }

                continue;
            }

            if (!free.TryPop(out var pair))
            {
                pair = (createSender(), new WorkerRecorder());
                all.Add(pair.Recorder);
            }

            Interlocked.Increment(ref running);
            inFlight.Add(Task.Run(
                async () =>
                {
                    var (failure, split) = await pair.Sender.SendAsync(cancellationToken).ConfigureAwait(false);
                    var finished = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref _completed);
                    if (measured)
                    {
                        Record(pair.Recorder, failure, split, finished - arrival);
                    }

                    Interlocked.Decrement(ref running);
                    free.Push(pair);
                },
                cancellationToken));
            if (inFlight.Count >= 4096)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
            }
        }

        // Requests that arrived inside the window are waited for: they are part of the measurement.
        await Task.WhenAll(inFlight).ConfigureAwait(false);
        return all;
    }

    private static void Record(WorkerRecorder recorder, string? failure, ServerSplit? split, long latencyTicks)
    {
        if (failure is null)
        {
            recorder.Success(latencyTicks, split);
        }
        else
        {
            recorder.Failure(failure);
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
