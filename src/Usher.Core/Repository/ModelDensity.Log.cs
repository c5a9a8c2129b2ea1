using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Core.Repository;

internal sealed partial class ModelDensity
{
    private static partial class Log
    {
        [LoggerMessage(LogEvents.VersionLoadedOnDemand, LogLevel.Information, "Model '{Model}' version {Version} loaded on demand in {Milliseconds:0} ms (it added {Measured} to the RSS, counted {Counted} before it; overhead {Overhead}, load headroom {Headroom}; {Used} of the {Budget} memory budget in use before it)")]
        public static partial void LoadedOnDemand(ILogger logger, string model, long version, double milliseconds, string measured, string counted, string overhead, string headroom, string used, string budget);

        [LoggerMessage(LogEvents.VersionEvicted, LogLevel.Information, "Model '{Model}' version {Version} unloaded to make room under the memory budget (last used {LastUsed:O})")]
        public static partial void Evicted(ILogger logger, string model, long version, DateTimeOffset lastUsed);

        [LoggerMessage(LogEvents.MemoryBudgetFull, LogLevel.Warning, "Model '{Model}' version {Version} cannot load: the {Budget} memory budget is full and every loaded version is busy or pinned")]
        public static partial void BudgetFull(ILogger logger, string model, long version, string budget);

        [LoggerMessage(LogEvents.VersionLoadFailed, LogLevel.Error, "Model '{Model}' version {Version} failed to load on demand: {Reason}")]
        public static partial void LoadFailed(ILogger logger, string model, long version, string reason);
    }
}
