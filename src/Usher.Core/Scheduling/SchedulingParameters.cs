using Usher.Core.Inference;

namespace Usher.Core.Scheduling;

/// <summary>The request parameters the scheduler reads: <c>priority</c> and <c>timeout</c> (microseconds), as Triton names them.</summary>
internal static class SchedulingParameters
{
    public static InferenceResult<(int Level, TimeSpan? Timeout)> Read(IReadOnlyDictionary<string, object> parameters, BatcherSettings settings)
    {
        var level = settings.DefaultLevel;
        if (parameters.TryGetValue("priority", out var priority))
        {
            if (!TryInteger(priority, out var value) || value < 0 || value > settings.Levels)
            {
                return InferenceError.Invalid($"parameter 'priority': expected an integer from 1 to {settings.Levels} (0 = the default level {settings.DefaultLevel}), got {priority}");
            }

            level = value == 0 ? settings.DefaultLevel : (int)value;
        }

        TimeSpan? timeout = null;
        if (parameters.TryGetValue("timeout", out var micros))
        {
            if (!TryInteger(micros, out var value) || value < 0 || value > long.MaxValue / 10)
            {
                return InferenceError.Invalid($"parameter 'timeout': expected a non-negative integer number of microseconds, got {micros}");
            }

            // 0 means no client timeout, as in Triton.
            timeout = value == 0 ? null : TimeSpan.FromTicks(checked(value * 10));
        }

        return InferenceResult<(int, TimeSpan?)>.Success((level, timeout));
    }

    private static bool TryInteger(object value, out long result)
    {
        switch (value)
        {
            case long l:
                result = l;
                return true;
            case ulong u when u <= long.MaxValue / 10:
                result = (long)u;
                return true;
            default:
                result = 0;
                return false;
        }
    }
}
