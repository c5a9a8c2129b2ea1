using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Core.Repository;

internal sealed partial class ModelManager
{
    private static partial class Log
    {
        [LoggerMessage(LogEvents.VersionUnloaded, LogLevel.Information, "Model '{Model}' version {Version} unloaded")]
        public static partial void VersionUnloaded(ILogger logger, string model, long version);

        [LoggerMessage(LogEvents.RepositoryLoaded, LogLevel.Information, "Repository {Path}: {Ready} of {Total} models ready")]
        public static partial void RepositoryLoaded(ILogger logger, string path, int ready, int total);

        [LoggerMessage(LogEvents.PollChange, LogLevel.Information, "Model '{Model}' changed on disk; reloading")]
        public static partial void PollChange(ILogger logger, string model);

        [LoggerMessage(LogEvents.ModelRemoved, LogLevel.Information, "Model '{Model}' is gone from the repository; unloading")]
        public static partial void ModelRemoved(ILogger logger, string model);

        [LoggerMessage(LogEvents.DrainTimeout, LogLevel.Warning, "Model '{Model}' version {Version} still had requests in flight after the unload timeout; it is released when they finish")]
        public static partial void DrainTimeout(ILogger logger, string model, long version);
    }
}
