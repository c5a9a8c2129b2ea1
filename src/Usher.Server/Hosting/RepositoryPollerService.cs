using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usher.Core.Repository;

namespace Usher.Server.Hosting;

/// <summary>
/// <c>--repository-poll SECONDS</c>: after the start-up load, scans the repository every interval
/// (<see cref="RepositoryPoller"/>, which the in-process engine runs too).
/// </summary>
internal sealed class RepositoryPollerService(ModelManager models, RepositoryOptions options, TimeProvider time, ILogger<RepositoryPollerService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => RepositoryPoller.RunAsync(models, TimeSpan.FromSeconds(options.PollSeconds), time, logger, polled: null, stoppingToken);
}
