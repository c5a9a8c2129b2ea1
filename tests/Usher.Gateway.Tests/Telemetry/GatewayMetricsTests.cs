using System.Net;
using System.Net.Http.Json;
using Usher.Gateway.Tests.Functional;

namespace Usher.Gateway.Tests.Telemetry;

public sealed class GatewayMetricsTests
{
    [Fact]
    public async Task TwoGatewaysInOneProcess_EachMetricsCountsItsOwnRequests_AndOutlivesTheOther()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        var first = await GatewayHost.StartAsync(uri);
        await using var second = await GatewayHost.StartAsync(uri);

        // No replica registered: every inference is the gateway's own 503, counted as unroutable.
        await UnroutableAsync(first, 3);
        Assert.Equal(3, await first.CounterAsync("usher_gateway_unroutable_total", ("reason", "NoneUp")));
        Assert.Equal(0, await second.CounterAsync("usher_gateway_unroutable_total", ("reason", "NoneUp")));

        await first.DisposeAsync();
        await UnroutableAsync(second, 2);
        Assert.Equal(2, await second.CounterAsync("usher_gateway_unroutable_total", ("reason", "NoneUp")));
    }

    private static async Task UnroutableAsync(GatewayHost gateway, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await gateway.Client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequests.Json());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }
    }
}
