using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Server.Access;

internal sealed partial class CredentialFileWatcher
{
    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.CredentialsLoaded, Level = LogLevel.Information, Message = "{Setting}: {Count} credentials from {Path}: {Names}")]
        public static partial void Loaded(ILogger logger, string setting, string path, int count, string names);

        [LoggerMessage(EventId = LogEvents.CredentialsReloadFailed, Level = LogLevel.Error, Message = "{Setting}: {Path} changed but cannot be used; the previous credentials stay in force: {Problems}")]
        public static partial void ReloadFailed(ILogger logger, string setting, string path, string problems);
    }
}
