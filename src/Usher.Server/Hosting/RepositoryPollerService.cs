using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usher.Core.Repository;
using Usher.Core.Telemetry;

namespace Usher.Server.Hosting;

/// <summary>
/// <c>--repository-poll SECONDS</c>: after the start-up load, scans the repository every interval;
/// a new or changed model is reloaded in the background and swapped in atomically.
/// </summary>
internal sealed partial class RepositoryPollerService(ModelManager models, RepositoryOptions options, TimeProvider time, ILogger<RepositoryPollerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await models.InitialLoad.WaitAsync(stoppingToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.PollSeconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await models.PollOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogPollFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(LogEvents.PollFailed, LogLevel.Warning, "Repository poll failed: {Reason}; trying again at the next interval")]
    private static partial void LogPollFailed(ILogger logger, string reason);
}
