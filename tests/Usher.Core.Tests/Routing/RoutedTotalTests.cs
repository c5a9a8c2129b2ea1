using Usher.Backends.Onnx;
using Usher.Core.Routing;
using Usher.Core.Telemetry;

namespace Usher.Core.Tests.Routing;

/// <summary>
/// The routed-requests totals a published route table holds, by variant index (so that a routed request
/// does not look its total up by endpoint and variant name each time), are always the ones
/// <c>usher_routed_requests</c> exports for that endpoint, variant and metrics; the variants stay plain records.
/// </summary>
public sealed class RoutedTotalTests
{
    [Fact]
    public void Publish_WithMetrics_ResolvesEachVariantsTotal_InTheTablesOrder()
    {
        using var metrics = new UsherMetrics();
        var routes = new EndpointRoutes(metrics);
        var table = new RouteTable("fraud", [new RouteVariant("fraud", 2, 10), new RouteVariant("fraud-int8", 1, 90)]);

        routes.Publish(table);

        var published = routes.Find("fraud")!;
        Assert.Same(metrics.RoutedTo("fraud", "fraud:2"), published.RoutedTotal(0));
        Assert.Same(metrics.RoutedTo("fraud", "fraud-int8:1"), published.RoutedTotal(1));
        Assert.Same(table.Variants, published.Variants);
        Assert.Equal(table.Ranges, published.Ranges);
        // The table as built is left as it was: nothing resolved into it.
        Assert.Null(table.RoutedTotal(0));
    }

    [Fact]
    public void Publish_WithoutMetrics_CountsNothing()
    {
        var routes = new EndpointRoutes();
        var table = RouteTable.Single("fraud", "fraud", 1);

        routes.Publish(table);

        Assert.Same(table, routes.Find("fraud"));
        Assert.Null(routes.Find("fraud")!.RoutedTotal(0));
    }

    [Fact]
    public void Publish_OneVariant_UnderAnotherEndpointOrOtherMetrics_CountsOnTheirOwnTotals()
    {
        using var metrics = new UsherMetrics();
        using var others = new UsherMetrics();
        var variant = new RouteVariant("fraud", 1, 100);
        var routes = new EndpointRoutes(metrics);
        var otherRoutes = new EndpointRoutes(others);

        routes.Publish(new RouteTable("fraud", [variant]));
        routes.Publish(new RouteTable("scoring", [variant]));
        otherRoutes.Publish(new RouteTable("scoring", [variant]));

        Assert.Same(metrics.RoutedTo("fraud", "fraud:1"), routes.Find("fraud")!.RoutedTotal(0));
        Assert.Same(metrics.RoutedTo("scoring", "fraud:1"), routes.Find("scoring")!.RoutedTotal(0));
        Assert.NotSame(routes.Find("fraud")!.RoutedTotal(0), routes.Find("scoring")!.RoutedTotal(0));
        Assert.Same(others.RoutedTo("scoring", "fraud:1"), otherRoutes.Find("scoring")!.RoutedTotal(0));
        Assert.Equal(2, metrics.Routed.Count());
        Assert.Single(others.Routed);
    }

    [Fact]
    public void RouteVariant_IsAPlainRecord_ItsCopiesEqualByValue_AndNamedByTheirOwnModelAndVersion()
    {
        using var metrics = new UsherMetrics();
        var routes = new EndpointRoutes(metrics);
        var v1 = new RouteVariant("fraud", 1, 90);
        routes.Publish(new RouteTable("fraud", [v1, new RouteVariant("fraud", 2, 10)]));
        var published = routes.Find("fraud")!.Variants[0];
        _ = published.Name;

        // Routed through and named, it still equals a fresh variant of the same values, hash included.
        Assert.Equal(new RouteVariant("fraud", 1, 90), published);
        Assert.Equal(new RouteVariant("fraud", 1, 90).GetHashCode(), published.GetHashCode());
        Assert.Equal(published, published with { });
        Assert.Equal(new RouteVariant("fraud", 1, 50), published with { Weight = 50 });
        Assert.Equal(("fraud:2", "fraud-int8:1"), ((published with { Version = 2 }).Name, (published with { Model = "fraud-int8" }).Name));
        Assert.NotEqual(published, published with { Version = 2 });
    }

    [Fact]
    public async Task Router_CountsEveryRoutedRequest_OnItsVariant_AcrossATableChange()
    {
        await using var fraud = await RoutedFraud.StartAsync(new OnnxBackend());
        using var metrics = new UsherMetrics();
        var routes = new EndpointRoutes(metrics);
        routes.Publish(RouteTable.Single("fraud", "fraud", 1));
        var router = new InferenceRouter(fraud.Models, routes, new FaultInjector(TimeProvider.System), TimeProvider.System, metrics);
        try
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.True((await router.InferAsync(fraud.Request, new RouteHints("user-" + i), CancellationToken.None)).Result.IsSuccess);
            }

            // A new table for the same endpoint, the variant second after one with no traffic: the same series.
            routes.Publish(new RouteTable("fraud", [new RouteVariant("fraud-int8", 1, 0), new RouteVariant("fraud", 1, 100)]));
            for (var i = 0; i < 2; i++)
            {
                Assert.True((await router.InferAsync(fraud.Request, default, CancellationToken.None)).Result.IsSuccess);
            }

            // Pinned by name to the variant that takes no traffic otherwise: counted there (whatever its run answers).
            await router.InferAsync(fraud.Request, new RouteHints(null, "fraud-int8:1"), CancellationToken.None);

            var totals = metrics.Routed.ToDictionary(t => (t.Endpoint, t.Variant), t => t.Count);
            Assert.Equal(2, totals.Count);
            Assert.Equal((5L, 1L), (totals[("fraud", "fraud:1")], totals[("fraud", "fraud-int8:1")]));
        }
        finally
        {
            await router.Observations.DisposeAsync();
        }
    }
}
