using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Core.Repository;

internal sealed partial class ModelEntryLoader
{
    private static partial class Log
    {
        [LoggerMessage(LogEvents.VersionReady, LogLevel.Information, "Model '{Model}' version {Version} is ready")]
        public static partial void VersionReady(ILogger logger, string model, long version);

        [LoggerMessage(LogEvents.VersionLoadFailed, LogLevel.Error, "Model '{Model}' version {Version} failed to load: {Reason}")]
        public static partial void VersionLoadFailed(ILogger logger, string model, long version, string reason);

        [LoggerMessage(LogEvents.ConfigInvalid, LogLevel.Error, "Model '{Model}': {Reason}")]
        public static partial void ConfigInvalid(ILogger logger, string model, string reason);

        [LoggerMessage(LogEvents.EntryIgnored, LogLevel.Warning, "Model '{Model}': ignored {Entry}")]
        public static partial void EntryIgnored(ILogger logger, string model, string entry);
    }
}
