using Usher.Core.Hosting;

namespace Usher.Core.Scheduling;

/// <summary>
/// The rules of <see cref="SchedulingOptions"/>, defined once: every problem is reported, each naming
/// its key (<c>scheduling.max_queue_size</c>); run at start-up by <c>ValidateOnStart</c>.
/// </summary>
internal sealed class SchedulingOptionsValidator : ProblemsValidator<SchedulingOptions>
{
    /// <inheritdoc />
    protected override IEnumerable<string> Check(SchedulingOptions options)
    {
        if (options.MaxQueueSize < 1)
        {
            yield return $"scheduling.max_queue_size: expected at least 1, got {options.MaxQueueSize}";
        }

        if (options.MaxInFlightBytes < 1)
        {
            yield return $"scheduling.max_in_flight_bytes: expected a positive number of bytes, got {options.MaxInFlightBytes}";
        }

        if (options.RetryAfterSeconds < 1)
        {
            yield return $"scheduling.retry_after_seconds: expected at least 1, got {options.RetryAfterSeconds}";
        }
    }
}
