using System.Net;
using Usher.Gateway.Health;

namespace Usher.Gateway.Tests.Functional;

/// <summary>
/// The gateway's own health endpoint, which its pods' probes use: answered by the gateway, not by a
/// replica.
/// </summary>
public sealed class GatewayHealthTests
{
    [Fact]
    public async Task NoReplicaRegistered_TheGatewaysOwnHealthIs200_WhileAReplicasHealthThroughItIs503()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        await using var gateway = await GatewayHost.StartAsync(uri);

        using var own = await gateway.Client.GetAsync(new Uri(GatewayHealth.LivePath, UriKind.Relative));
        using var forwarded = await gateway.Client.GetAsync(new Uri("/v2/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, forwarded.StatusCode);
    }
}
