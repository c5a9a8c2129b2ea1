namespace Usher.Core.Scheduling;

/// <summary>
/// How a <see cref="DynamicBatcher"/>'s idle executors wait for work: a one-shot signal that is
/// swapped for a fresh one each time it fires. An executor reads <see cref="Current"/> before it
/// looks at the queue, so a request queued after that look completes the very signal it waits on.
/// </summary>
internal sealed class ExecutorWakeup(TimeProvider time, CancellationToken stopping)
{
    /// <summary>
    /// How late a timed wait may end: waits are counted in whole milliseconds, the resolution of
    /// .NET's timers, so one ends up to this much after its deadline. A deadline that must not be
    /// passed (the latency target's last moment to send a batch) is aimed this much earlier.
    /// </summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(1);

    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The signal the next <see cref="Signal"/> completes.</summary>
    public TaskCompletionSource Current => Volatile.Read(ref _wake);

    /// <summary>Wakes every executor waiting on the current signal.</summary>
    public void Signal() => Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// Blocks the calling executor's thread until <paramref name="wake"/> fires, the batcher stops,
    /// or, when <paramref name="until"/> is set, the clock reaches that timestamp, rounded up to the
    /// next whole millisecond of waiting (the timers' resolution).
    /// </summary>
    public void Wait(TaskCompletionSource wake, long? until)
    {
        if (until is not null)
        {
            if (ReferenceEquals(time, TimeProvider.System))
            {
                WaitOnTheSystemClock(wake, until.Value);
            }
            else
            {
                WaitAsync(wake, until.Value).GetAwaiter().GetResult();
            }

            return;
        }

        try
        {
            // A synchronous wait: the signal wakes this thread directly. (Awaiting the task with
            // WaitAsync would route every wake-up through a thread-pool work item first.)
            wake.Task.Wait(stopping);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    // On the system clock the executor's own thread waits in the kernel (a timed wait on the signal,
    // which ends within tens of microseconds of its time), not on a timer: .NET's timer queue fired
    // a 1 ms Task.Delay after 4.3 ms (p50) on the 2-core Linux host of docs/benchmarks.md, where a
    // timed wait of 1 ms ended after 1.1 ms, so Triton's 1 ms queue delay cost 4 ms a lone request.
    private void WaitOnTheSystemClock(TaskCompletionSource wake, long deadline)
    {
        var wait = WaitUntil(deadline);
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            wake.Task.Wait((int)Math.Min(int.MaxValue, (long)wait.TotalMilliseconds), stopping);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    // How long to wait for the deadline, rounded up to whole steps of Resolution; zero once it has
    // passed. Both ways of waiting count in whole milliseconds (Task.Delay and Task.Wait truncate to
    // them), so a wait under 1 ms ended at once, and an executor woken short of its deadline waited
    // again and again until the clock passed it (a busy loop through the sub-millisecond rest of every
    // wait, the whole of a max_queue_delay under 1 ms). The wait ends up to 1 ms late instead.
    private TimeSpan WaitUntil(long deadline)
    {
        var remaining = deadline - time.GetTimestamp();
        if (remaining <= 0)
        {
            return TimeSpan.Zero;
        }

        var perStep = Math.Max(1, (long)(time.TimestampFrequency * Resolution.TotalSeconds));
        return Resolution * ((remaining + perStep - 1) / perStep);
    }

    private async Task WaitAsync(TaskCompletionSource wake, long deadline)
    {
        try
        {
            var delay = WaitUntil(deadline);
            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var sleep = Task.Delay(delay, time, cancel.Token);

            // The timer counts from when it is armed, not from when the clock was read: if the clock
            // passed the deadline in between (a test's fake clock can jump there), it would wait a
            // whole delay more, or forever on a clock that does not move again. Check once armed.
            if (time.GetTimestamp() < deadline)
            {
                await Task.WhenAny(wake.Task, sleep).ConfigureAwait(false);
            }

            await cancel.CancelAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
