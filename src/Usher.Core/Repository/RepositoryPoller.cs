using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Core.Repository;

/// <summary>
/// Scans a repository every interval after its start-up load (the server's
/// <c>--repository-poll</c>, the engine's <c>Repository.PollSeconds</c>): a new or changed model is
/// reloaded and swapped in atomically. A poll that fails on the file system (a folder being
/// replaced, a share gone offline) changes nothing: the loaded versions keep serving.
/// </summary>
internal static partial class RepositoryPoller
{
    /// <summary>Polls until <paramref name="cancellationToken"/> is canceled; <paramref name="polled"/> runs after each scan.</summary>
    public static async Task RunAsync(ModelManager models, TimeSpan interval, TimeProvider time, ILogger logger, Action? polled, CancellationToken cancellationToken)
    {
        await models.InitialLoad.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await models.PollOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogPollFailed(logger, ex.Message);
            }

            polled?.Invoke();
        }
    }

    [LoggerMessage(LogEvents.PollFailed, LogLevel.Warning, "Repository poll failed: {Reason}; trying again at the next interval")]
    private static partial void LogPollFailed(ILogger logger, string reason);
}
