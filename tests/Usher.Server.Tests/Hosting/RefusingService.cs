using Microsoft.Extensions.Hosting;

namespace Usher.Server.Tests.Hosting;

/// <summary>A hosted service that refuses to start, as the streams do when a broker does not answer.</summary>
internal sealed class RefusingService : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("refused by the test");

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
