using Usher.ControlPlane.Cluster;
using Usher.Gateway.Registry;
using Usher.Gateway.Routing;

namespace Usher.Gateway.Tests.Routing;

public sealed class ReplicaChoiceTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Choose_ModelLoadedOnOneReplicaOnly_OffersThatOneOnly()
    {
        var registry = Registry(Replica("a", models: [("fraud", 1, true)]), Replica("b", models: [("churn", 1, true)]));

        var result = ReplicaChoice.Choose(registry, Infer("fraud"), gatewayRegion: null, AllHealthy);

        Assert.Equal(["a"], Ids(result));
    }

    [Fact]
    public void Choose_PinnedVersion_OffersOnlyReplicasWithThatVersion()
    {
        var registry = Registry(Replica("a", models: [("fraud", 1, true)]), Replica("b", models: [("fraud", 1, true), ("fraud", 2, true)]));

        Assert.Equal(["b"], Ids(ReplicaChoice.Choose(registry, Infer("fraud", version: 2), null, AllHealthy)));
        Assert.Equal(["a", "b"], Ids(ReplicaChoice.Choose(registry, Infer("fraud"), null, AllHealthy)));
    }

    [Fact]
    public void Choose_VersionLoadedNowhere_FailsNotLoaded_NamingModelAndVersion()
    {
        var registry = Registry(Replica("a", models: [("fraud", 1, true)]), Replica("b", models: [("fraud", 1, true)]));

        var result = ReplicaChoice.Choose(registry, Infer("fraud", version: 3), null, AllHealthy);

        Assert.Equal(NoReplicaReason.NotLoaded, result.Failure);
        Assert.Equal("model 'fraud' version 3 is not loaded on any of the 2 replica(s) up", result.Message);
    }

    [Fact]
    public void Choose_LoadedButNotReadyAnywhere_FailsNotReady()
    {
        var registry = Registry(Replica("a", models: [("fraud", 1, false)]), Replica("b", models: [("fraud", 1, true), ("churn", 1, false)]));

        Assert.Equal(["b"], Ids(ReplicaChoice.Choose(registry, Infer("fraud"), null, AllHealthy)));
        var result = ReplicaChoice.Choose(registry, Infer("churn"), null, AllHealthy);
        Assert.Equal(NoReplicaReason.NotReady, result.Failure);
        Assert.Equal("model 'churn' is loaded on 1 replica(s) but ready on none", result.Message);
    }

    [Fact]
    public void Choose_HardwareHeader_MatchesTheHwLabel()
    {
        var registry = Registry(
            Replica("cpu1", labels: new() { ["hw"] = "cpu" }),
            Replica("gpu1", labels: new() { ["hw"] = "gpu" }),
            Replica("none"));

        Assert.Equal(["gpu1"], Ids(ReplicaChoice.Choose(registry, Infer("fraud", hardware: "gpu"), null, AllHealthy)));
        var result = ReplicaChoice.Choose(registry, Infer("fraud", hardware: "tpu"), null, AllHealthy);
        Assert.Equal(NoReplicaReason.NoHardware, result.Failure);
        Assert.Contains("hw=tpu", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_ModelsHardwareRequirement_OffersOnlyReplicasWhoseHwLabelMeetsIt_IgnoringCase()
    {
        var registry = Registry(
            Requiring(Replica("cpu1", models: [("fraud", 1, true), ("churn", 1, true)], labels: new() { ["hw"] = "cpu" }), "fraud", "gpu"),
            Requiring(Replica("gpu1", models: [("fraud", 1, true), ("churn", 1, true)], labels: new() { ["hw"] = "GPU" }), "fraud", "gpu"),
            Requiring(Replica("none", models: [("fraud", 1, true), ("churn", 1, true)]), "fraud", "gpu"));

        Assert.Equal(["gpu1"], Ids(ReplicaChoice.Choose(registry, Infer("fraud"), null, AllHealthy)));
        Assert.Equal(["gpu1"], Ids(ReplicaChoice.Choose(registry, Infer("fraud", version: 1), null, AllHealthy)));

        // A model without the key goes anywhere.
        Assert.Equal(["cpu1", "gpu1", "none"], Ids(ReplicaChoice.Choose(registry, Infer("churn"), null, AllHealthy)));
    }

    [Fact]
    public void Choose_HeaderAndRequirementAgree_OffersTheReplicasWithThatLabel()
    {
        var registry = Registry(
            Requiring(Replica("cpu1", labels: new() { ["hw"] = "cpu" }), "fraud", "gpu"),
            Requiring(Replica("gpu1", labels: new() { ["hw"] = "gpu" }), "fraud", "gpu"));

        Assert.Equal(["gpu1"], Ids(ReplicaChoice.Choose(registry, Infer("fraud", hardware: "Gpu"), null, AllHealthy)));
    }

    [Fact]
    public void Choose_HeaderDisagreesWithTheRequirement_FailsHardwareConflict_NamingBoth()
    {
        var registry = Registry(
            Requiring(Replica("cpu1", labels: new() { ["hw"] = "cpu" }), "fraud", "gpu"),
            Requiring(Replica("gpu1", labels: new() { ["hw"] = "gpu" }), "fraud", "gpu"));

        var result = ReplicaChoice.Choose(registry, Infer("fraud", hardware: "cpu"), null, AllHealthy);

        Assert.Equal(NoReplicaReason.HardwareConflict, result.Failure);
        Assert.Empty(result.Candidates);
        Assert.Equal(
            "model 'fraud' requires hw=gpu (hardware: gpu in its config.yaml) but the request asks for hw=cpu (x-usher-hardware: cpu); no replica can meet both: leave the header out, or ask for gpu",
            result.Message);
    }

    [Fact]
    public void Choose_RequirementMetByNoReplica_FailsHardwareRequired_NamingItAndHowManyHaveTheModelReady()
    {
        var registry = Registry(
            Requiring(Replica("cpu1", labels: new() { ["hw"] = "cpu" }), "fraud", "gpu"),
            Requiring(Replica("none"), "fraud", "gpu"),
            Requiring(Replica("loading", models: [("fraud", 1, false)], labels: new() { ["hw"] = "gpu" }), "fraud", "gpu"));

        var result = ReplicaChoice.Choose(registry, Infer("fraud"), null, AllHealthy);

        Assert.Equal(NoReplicaReason.HardwareRequired, result.Failure);
        Assert.Equal("model 'fraud' requires hw=gpu (hardware: gpu in its config.yaml), and none of the 2 replica(s) that have it ready has that label", result.Message);
    }

    [Fact]
    public void Choose_HeaderMetByNoReplicaThatMeetsTheRequirement_FailsNoHardware_NamingBoth()
    {
        var registry = Registry(
            Requiring(Replica("gpu1", labels: new() { ["hw"] = "gpu" }), "fraud", "gpu"),
            Replica("cpu1", labels: new() { ["hw"] = "cpu" }));

        var result = ReplicaChoice.Choose(registry, Infer("fraud", hardware: "tpu"), null, AllHealthy);

        Assert.Equal(NoReplicaReason.NoHardware, result.Failure);
        Assert.Equal("model 'fraud': none of the 2 replica(s) that could answer has label hw=tpu (x-usher-hardware: tpu) and meets the model's requirement, hw=gpu (hardware: gpu in its config.yaml)", result.Message);
    }

    [Fact]
    public void Choose_ReplicasReportingDifferentRequirements_EachIsJudgedByItsOwn()
    {
        // "old" still serves the config from before hardware: gpu was added; "new" and "gpu1" report it.
        var registry = Registry(
            Replica("old", labels: new() { ["hw"] = "cpu" }),
            Requiring(Replica("new", labels: new() { ["hw"] = "cpu" }), "fraud", "gpu"),
            Requiring(Replica("gpu1", labels: new() { ["hw"] = "gpu" }), "fraud", "gpu"));

        Assert.Equal(["gpu1", "old"], Ids(ReplicaChoice.Choose(registry, Infer("fraud"), null, AllHealthy)));
        Assert.Equal(["old"], Ids(ReplicaChoice.Choose(registry, Infer("fraud", hardware: "cpu"), null, AllHealthy)));
    }

    [Fact]
    public void Choose_RequirementOfThePinnedVersion_OrOfEveryReadyVersionWhenNonePinned()
    {
        // On "cpu1" version 2 requires a gpu and version 1 does not; version 3 requires one but is not ready.
        var cpu1 = Replica("cpu1", models: [("fraud", 1, true), ("fraud", 2, true), ("fraud", 3, false)], labels: new() { ["hw"] = "cpu" });
        var registry = Registry(
            cpu1 with { Models = [new("fraud", 1, true), new("fraud", 2, true, "gpu"), new("fraud", 3, false, "gpu")] },
            Replica("gpu1", models: [("fraud", 1, true), ("fraud", 2, true)], labels: new() { ["hw"] = "gpu" }));

        Assert.Equal(["cpu1", "gpu1"], Ids(ReplicaChoice.Choose(registry, Infer("fraud", version: 1), null, AllHealthy)));
        Assert.Equal(["gpu1"], Ids(ReplicaChoice.Choose(registry, Infer("fraud", version: 2), null, AllHealthy)));
        Assert.Equal(["gpu1"], Ids(ReplicaChoice.Choose(registry, Infer("fraud"), null, AllHealthy)));
    }

    [Fact]
    public void Choose_PrefersTheRequestsRegion_ThenTheGateways()
    {
        var registry = Registry(Replica("eu1", region: "eu"), Replica("eu2", region: "eu"), Replica("us1", region: "us"));

        Assert.Equal(["eu1", "eu2"], Ids(ReplicaChoice.Choose(registry, Infer("fraud"), "eu", AllHealthy)));
        var us = ReplicaChoice.Choose(registry, Infer("fraud", region: "us"), "eu", AllHealthy);
        Assert.Equal(["us1"], Ids(us));
        Assert.Null(us.FailoverFrom);
        Assert.Equal(["eu1", "eu2", "us1"], Ids(ReplicaChoice.Choose(registry, Infer("fraud"), null, AllHealthy)));
    }

    [Fact]
    public void Choose_NoneHealthyInRegion_FailsOverToAnotherRegion()
    {
        var registry = Registry(Replica("eu1", region: "eu"), Replica("us1", region: "us"));

        var result = ReplicaChoice.Choose(registry, Infer("fraud"), "eu", id => id != "eu1");

        Assert.Equal(["us1"], Ids(result));
        Assert.Equal("eu", result.FailoverFrom);
    }

    [Fact]
    public void Choose_AllSaturatedInRegion_FailsOverToOneWithRoom_ElseStaysHome()
    {
        var registry = Registry(Replica("eu1", region: "eu", queue: 4, capacity: 4), Replica("us1", region: "us", queue: 1, capacity: 4));
        var result = ReplicaChoice.Choose(registry, Infer("fraud"), "eu", AllHealthy);
        Assert.Equal(["us1"], Ids(result));
        Assert.Equal("eu", result.FailoverFrom);

        var everywhere = Registry(Replica("eu1", region: "eu", queue: 4, capacity: 4), Replica("us1", region: "us", queue: 9, capacity: 4));
        var stay = ReplicaChoice.Choose(everywhere, Infer("fraud"), "eu", AllHealthy);
        Assert.Equal(["eu1"], Ids(stay));
        Assert.Null(stay.FailoverFrom);
    }

    [Fact]
    public void Choose_NoneHealthyAnywhere_FailsNamingTheRegionAndTheFailover()
    {
        var registry = Registry(Replica("eu1", region: "eu"), Replica("us1", region: "us"));

        var result = ReplicaChoice.Choose(registry, Infer("fraud"), "eu", _ => false);

        Assert.Equal(NoReplicaReason.NotHealthy, result.Failure);
        Assert.Equal("model 'fraud': none of the 2 replica(s) that could answer is healthy in region 'eu' or, on failover, in any other region (health checks failed, or the request failed there already)", result.Message);
    }

    [Fact]
    public void Choose_EndpointWithARouteTable_GoesToAnyReplica_ButAModelOfThatNameStillNeedsIt()
    {
        var registry = new RegistrySnapshot([Replica("a", models: [("fraud", 1, true)]), Replica("b", models: [("churn", 1, true)])], ["scoring", "fraud"]);

        Assert.Equal(["a", "b"], Ids(ReplicaChoice.Choose(registry, Infer("scoring"), null, AllHealthy)));
        Assert.Equal(["a"], Ids(ReplicaChoice.Choose(registry, Infer("fraud"), null, AllHealthy)));
        Assert.Equal(NoReplicaReason.NotLoaded, ReplicaChoice.Choose(registry, Infer("nope"), null, AllHealthy).Failure);
    }

    [Fact]
    public void Choose_NoModelNamed_AnyReplicaUp_AndDownReplicasAreNotListed()
    {
        var registry = new RegistrySnapshot([Replica("a"), Replica("b") with { DownAt = Now }], []);

        var result = ReplicaChoice.Choose(registry, new RequestTarget(RequestKind.Read, null, null, null, null, Grpc: false), null, AllHealthy);

        Assert.Equal(["a"], Ids(result));
        Assert.Equal(NoReplicaReason.NoneUp, ReplicaChoice.Choose(RegistrySnapshot.Empty, Infer("fraud"), null, AllHealthy).Failure);
    }

    private static bool AllHealthy(string id) => true;

    private static string[] Ids(ChoiceResult result) => [.. result.Candidates.Select(r => r.Id).Order(StringComparer.Ordinal)];

    private static RequestTarget Infer(string model, long? version = null, string? hardware = null, string? region = null) =>
        new(RequestKind.Inference, model, version, hardware, region, Grpc: false);

    private static RegistrySnapshot Registry(params ReplicaInfo[] replicas) => new(replicas, []);

    // Every version of the model on the replica reports the requirement, as from one config.yaml.
    private static ReplicaInfo Requiring(ReplicaInfo replica, string model, string hardware) =>
        replica with { Models = [.. replica.Models.Select(m => m.Model == model ? m with { Hardware = hardware } : m)] };

    private static ReplicaInfo Replica(
        string id,
        string region = "default",
        (string Model, long Version, bool Ready)[]? models = null,
        Dictionary<string, string>? labels = null,
        int queue = 0,
        int capacity = 4) =>
        new(id, $"http://{id}:8000", null, region, labels ?? [],
            [.. (models ?? [("fraud", 1, true)]).Select(m => new ReplicaModel(m.Model, m.Version, m.Ready))],
            queue, 0, capacity, Now, Now, null);
}
