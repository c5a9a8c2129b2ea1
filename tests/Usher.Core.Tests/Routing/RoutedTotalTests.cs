using Usher.Backends.Onnx;
using Usher.Core.Routing;
using Usher.Core.Telemetry;

namespace Usher.Core.Tests.Routing;

/// <summary>
/// The routed-requests total a variant keeps (so that a routed request does not look it up by endpoint
/// and variant name each time) is always the one <c>usher_routed_requests</c> exports for that
/// endpoint, variant and metrics.
/// </summary>
public sealed class RoutedTotalTests
{
    [Fact]
    public void RoutedTotal_OfAVariant_IsTheMetricsTotalOfItsEndpointAndName_AndIsKept()
    {
        using var metrics = new UsherMetrics();
        var variant = new RouteVariant("fraud", 2, 100);

        var first = InferenceRouter.RoutedTotal(metrics, "fraud", variant);

        Assert.Same(metrics.RoutedTo("fraud", "fraud:2"), first);
        Assert.Same(first, variant.Routed);
        Assert.Same(first, InferenceRouter.RoutedTotal(metrics, "fraud", variant));
    }

    [Fact]
    public void RoutedTotal_OfACopyWithAnotherVersionOrModel_CountsOnThatVariantsTotal()
    {
        using var metrics = new UsherMetrics();
        var v1 = new RouteVariant("fraud", 1, 100);
        var kept = InferenceRouter.RoutedTotal(metrics, "fraud", v1);

        var v2 = v1 with { Version = 2 };
        var other = v1 with { Model = "fraud-int8" };

        Assert.Same(metrics.RoutedTo("fraud", "fraud:2"), InferenceRouter.RoutedTotal(metrics, "fraud", v2));
        Assert.Same(metrics.RoutedTo("fraud", "fraud-int8:1"), InferenceRouter.RoutedTotal(metrics, "fraud", other));
        Assert.NotSame(kept, v2.Routed);
    }

    [Fact]
    public void RoutedTotal_OfAReweightedCopy_KeepsCountingOnTheSameTotal()
    {
        using var metrics = new UsherMetrics();
        var v1 = new RouteVariant("fraud", 1, 90);
        var kept = InferenceRouter.RoutedTotal(metrics, "fraud", v1);

        Assert.Same(kept, InferenceRouter.RoutedTotal(metrics, "fraud", v1 with { Weight = 50 }));
    }

    [Fact]
    public void RoutedTotal_OfOneVariant_UnderAnotherEndpointOrOtherMetrics_IsTheirOwn()
    {
        using var metrics = new UsherMetrics();
        using var others = new UsherMetrics();
        var variant = new RouteVariant("fraud", 1, 100);
        var kept = InferenceRouter.RoutedTotal(metrics, "fraud", variant);

        var otherEndpoint = InferenceRouter.RoutedTotal(metrics, "scoring", variant);
        var otherMetrics = InferenceRouter.RoutedTotal(others, "scoring", variant);

        Assert.Same(metrics.RoutedTo("scoring", "fraud:1"), otherEndpoint);
        Assert.NotSame(kept, otherEndpoint);
        Assert.Same(others.RoutedTo("scoring", "fraud:1"), otherMetrics);
        Assert.Single(metrics.Routed, t => t.Endpoint == "scoring");
        Assert.Single(others.Routed);
    }

    [Fact]
    public async Task Router_CountsEveryRoutedRequest_OnItsVariant_AcrossATableChange()
    {
        await using var fraud = await RoutedFraud.StartAsync(new OnnxBackend());
        using var metrics = new UsherMetrics();
        var routes = new EndpointRoutes();
        routes.Publish(RouteTable.Single("fraud", "fraud", 1));
        var router = new InferenceRouter(fraud.Models, routes, new FaultInjector(TimeProvider.System), TimeProvider.System, metrics);
        try
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.True((await router.InferAsync(fraud.Request, new RouteHints("user-" + i), CancellationToken.None)).Result.IsSuccess);
            }

            // A new table for the same endpoint: new variant objects, the same series.
            routes.Publish(RouteTable.Single("fraud", "fraud", 1));
            for (var i = 0; i < 2; i++)
            {
                Assert.True((await router.InferAsync(fraud.Request, default, CancellationToken.None)).Result.IsSuccess);
            }

            var total = Assert.Single(metrics.Routed);
            Assert.Equal(("fraud", "fraud:1", 5L), (total.Endpoint, total.Variant, total.Count));
        }
        finally
        {
            await router.Observations.DisposeAsync();
        }
    }
}
