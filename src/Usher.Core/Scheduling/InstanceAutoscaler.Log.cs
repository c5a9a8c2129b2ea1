using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Core.Scheduling;

internal sealed partial class InstanceAutoscaler
{
    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.InstancesScaled, Level = LogLevel.Information,
            Message = "{Label}: {From} -> {To} instances (utilisation {Utilisation:0.###} over {Seconds:0.#} s, target {Target:0.###})")]
        public static partial void Scaled(ILogger logger, string label, int from, int to, double utilisation, double target, double seconds);
    }
}
