using Usher.ControlPlane.Cluster;
using Usher.Gateway.Registry;

namespace Usher.Gateway.Routing;

/// <summary>
/// Which replicas may answer a request: up, with the model (and pinned version) loaded and ready, with
/// the hardware asked for (<c>x-usher-hardware</c>) and the hardware the model requires (<c>hardware:</c>
/// in its config, as each replica reports it for its ready versions), healthy, and in the preferred region unless none there is healthy or all
/// there are saturated (queue depth at capacity), in which case another region's (a failover). The
/// load balancer then picks one of them (<see cref="LoadBalancing.QueueDepthPolicy"/>).
/// </summary>
internal static class ReplicaChoice
{
    /// <param name="registry">The replicas up, as last read.</param>
    /// <param name="target">What the request asks for.</param>
    /// <param name="gatewayRegion">The gateway's own region, preferred when the request names none.</param>
    /// <param name="available">Whether a replica may take this request now: healthy, and not already tried by it.</param>
    public static ChoiceResult Choose(RegistrySnapshot registry, RequestTarget target, string? gatewayRegion, Func<string, bool> available)
    {
        IEnumerable<ReplicaInfo> fitting = registry.Replicas.Values;
        if (registry.Replicas.Count == 0)
        {
            return ChoiceResult.Fail(NoReplicaReason.NoneUp, target.Model is null
                ? "no replica is up (the registry lists none)"
                : $"{target.Describe()}: no replica is up (the registry lists none)");
        }

        // A name that is a model somewhere goes to replicas that have it ready. A name that is a model
        // nowhere but has a route table is an endpoint of other names: any replica up answers it (its
        // router picks the variant, and says so when it cannot).
        var byModel = target.Model is { } name
            && (target.Version is not null || !registry.Endpoints.Contains(name) || fitting.Any(r => r.Models.Any(m => m.Model == name)));
        if (byModel)
        {
            var loaded = fitting.Where(r => r.Models.Any(m => Matches(m, target))).ToList();
            if (loaded.Count == 0)
            {
                return ChoiceResult.Fail(NoReplicaReason.NotLoaded, $"{target.Describe()} is not loaded on any of the {registry.Replicas.Count} replica(s) up");
            }

            fitting = loaded.Where(r => r.Models.Any(m => m.Ready && Matches(m, target))).ToList();
            if (!fitting.Any())
            {
                return ChoiceResult.Fail(NoReplicaReason.NotReady, $"{target.Describe()} is loaded on {loaded.Count} replica(s) but ready on none");
            }
        }

        // Filtered by hardware only when the request asks for some or a replica's requirement rules it out:
        // most requests do neither, and pay one pass over the ready replicas' models.
        IReadOnlyList<ReplicaInfo> ready = fitting as IReadOnlyList<ReplicaInfo> ?? [.. fitting];
        if (target.Hardware is not null || (byModel && !AllMeetRequirement(ready, target)))
        {
            fitting = ready.Where(r => (!byModel || MeetsRequirement(r, target)) && (target.Hardware is not { } asked || HardwareLabel.Matches(r.Labels, asked))).ToList();
            if (!fitting.Any())
            {
                return HardwareFailure(ready, target, byModel);
            }
        }

        var fits = fitting.Count();
        var healthy = fitting.Where(r => available(r.Id)).ToList();
        var region = target.Region ?? gatewayRegion;
        if (healthy.Count == 0)
        {
            var where = region is null ? string.Empty : $" in region '{region}' or, on failover, in any other region";
            return ChoiceResult.Fail(NoReplicaReason.NotHealthy,
                $"{Subject(target)}: none of the {fits} replica(s) that could answer is healthy{where} (health checks failed, or the request failed there already)");
        }

        if (region is null)
        {
            return ChoiceResult.Pick(healthy, failoverFrom: null);
        }

        var home = healthy.Where(r => r.Region == region).ToList();
        var away = healthy.Where(r => r.Region != region).ToList();
        var homeFree = home.Where(r => !Saturated(r)).ToList();
        if (homeFree.Count > 0)
        {
            return ChoiceResult.Pick(homeFree, failoverFrom: null);
        }

        var awayFree = away.Where(r => !Saturated(r)).ToList();
        if (awayFree.Count > 0)
        {
            return ChoiceResult.Pick(awayFree, failoverFrom: region);
        }

        // Saturated everywhere: stay at home when it has any, queueing there beats crossing regions.
        return home.Count > 0 ? ChoiceResult.Pick(home, failoverFrom: null) : ChoiceResult.Pick(away, failoverFrom: region);
    }

    /// <summary>A replica whose reported queue is at or over its capacity.</summary>
    public static bool Saturated(ReplicaInfo replica) => replica.Capacity > 0 && replica.QueueDepth >= replica.Capacity;

    // The model's hardware: requirement must hold for every version that may answer the request there.
    private static bool MeetsRequirement(ReplicaInfo replica, RequestTarget target)
    {
        for (var i = 0; i < replica.Models.Count; i++)
        {
            var model = replica.Models[i];
            if (model.Ready && Matches(model, target) && !HardwareLabel.Satisfies(replica.Labels, model.Hardware))
            {
                return false;
            }
        }

        return true;
    }

    // A loop, not LINQ: every request that names a model passes here.
    private static bool AllMeetRequirement(IReadOnlyList<ReplicaInfo> replicas, RequestTarget target)
    {
        for (var i = 0; i < replicas.Count; i++)
        {
            if (!MeetsRequirement(replicas[i], target))
            {
                return false;
            }
        }

        return true;
    }

    // The requirements the replicas report for the versions that may answer (distinct, without case).
    private static List<string> Requirements(IEnumerable<ReplicaInfo> replicas, RequestTarget target) =>
        [.. replicas.SelectMany(r => r.Models)
            .Where(m => m.Ready && m.Hardware is not null && Matches(m, target))
            .Select(m => m.Hardware!)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.OrdinalIgnoreCase)];

    // No replica with the model ready meets both the header and the model's requirement: say which of them rules every one out.
    private static ChoiceResult HardwareFailure(IReadOnlyList<ReplicaInfo> ready, RequestTarget target, bool byModel)
    {
        var required = byModel ? Requirements(ready, target) : [];
        var values = string.Join(" or ", required);
        var requirement = $"{HardwareLabel.Key}={values} (hardware: {values} in its config.yaml)";
        if (target.Hardware is { } asked)
        {
            // Every replica's own requirement differs from the header: whatever their labels, none can meet both.
            if (required.Count > 0 && ready.All(r => Requirements([r], target).Any(q => !string.Equals(q, asked, StringComparison.OrdinalIgnoreCase))))
            {
                return ChoiceResult.Fail(NoReplicaReason.HardwareConflict,
                    $"{target.Describe()} requires {requirement} but the request asks for {HardwareLabel.Key}={asked} ({RequestTarget.HardwareHeader}: {asked}); no replica can meet both: leave the header out, or ask for {values}");
            }

            var also = required.Count > 0 ? $" and meets the model's requirement, {requirement}" : string.Empty;
            return ChoiceResult.Fail(NoReplicaReason.NoHardware,
                $"{Subject(target)}: none of the {ready.Count} replica(s) that could answer has label {HardwareLabel.Key}={asked} ({RequestTarget.HardwareHeader}: {asked}){also}");
        }

        return ChoiceResult.Fail(NoReplicaReason.HardwareRequired,
            $"{target.Describe()} requires {requirement}, and none of the {ready.Count} replica(s) that have it ready has that label");
    }

    private static bool Matches(ReplicaModel model, RequestTarget target) =>
        model.Model == target.Model && (target.Version is null || model.Version == target.Version);

    private static string Subject(RequestTarget target) => target.Model is null ? "request" : target.Describe();
}

/// <summary>The replicas that may answer (the load balancer picks among them), or why none may.</summary>
/// <param name="Candidates">Replicas that fit; empty when <paramref name="Failure"/> is set.</param>
/// <param name="FailoverFrom">The preferred region that had none fitting, when the candidates are another region's.</param>
/// <param name="Failure">Why none fits, or null.</param>
/// <param name="Message">The error message that names the model and the reason, or null.</param>
internal sealed record ChoiceResult(IReadOnlyList<ReplicaInfo> Candidates, string? FailoverFrom, NoReplicaReason? Failure, string? Message)
{
    public static ChoiceResult Pick(IReadOnlyList<ReplicaInfo> candidates, string? failoverFrom) => new(candidates, failoverFrom, null, null);

    public static ChoiceResult Fail(NoReplicaReason reason, string message) => new([], null, reason, message);
}
