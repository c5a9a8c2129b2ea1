using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Usher.ControlPlane.Cluster;

namespace Usher.ControlPlane.Tests.Cluster;

/// <summary>Two replicas' memberships together, as <c>usher serve</c> starts and stops them.</summary>
public sealed class ClusterMemberTests
{
    [SkippableFact]
    public async Task Two_members_register_one_leads_both_hear_route_changes_and_a_clean_stop_hands_over()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        var heard = new ConcurrentQueue<(string Replica, string Endpoint)>();
        ClusterMember Member(string id) => new(
            source,
            new ClusterOptions(),
            ReplicaRegistryTests.Identity(id, "eu"),
            () => ReplicaLoad.Idle,
            (endpoint, _) =>
            {
                heard.Enqueue((id, endpoint));
                return Task.CompletedTask;
            },
            _ => Task.CompletedTask,
            _ => Task.CompletedTask,
            time,
            NullLoggerFactory.Instance);
        await using var a = Member("a");
        await using var b = Member("b");
        await a.StartAsync(CancellationToken.None);
        await ClusterDatabase.EventuallyAsync(() => a.Election.IsLeader, "the first member leads");
        await b.StartAsync(CancellationToken.None);

        Assert.Equal(["a", "b"], (await b.Registry.ListAsync(CancellationToken.None)).Where(r => r.IsUp).Select(r => r.Id));
        await source.ExecuteAsync("INSERT INTO route_tables(endpoint, variants_json, updated_at) VALUES ('fraud', '[]', now())");
        await ClusterDatabase.EventuallyAsync(() => heard.Count == 2, "both members hear the change");
        Assert.Equal([("a", "fraud"), ("b", "fraud")], heard.OrderBy(h => h.Replica));

        await a.StopAsync(CancellationToken.None);

        Assert.Equal(["b"], (await b.Registry.ListAsync(CancellationToken.None)).Where(r => r.IsUp).Select(r => r.Id));
        await ClusterDatabase.EventuallyAsync(() => b.Election.IsLeader, "b takes over at its next poll", () => time.Advance(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Invalid_settings_are_refused_with_every_problem_named()
    {
        var options = new ClusterOptions { HeartbeatInterval = TimeSpan.FromSeconds(3), DownAfter = TimeSpan.FromSeconds(5), SessionCheckTimeout = TimeSpan.FromMilliseconds(500) };
        var identity = new ReplicaIdentity(new string('r', 64), "tcp://x", null, "", new Dictionary<string, string>());

        var problems = options.Problems().Concat(identity.Problems()).ToList();

        Assert.Collection(
            problems,
            p => Assert.StartsWith("cluster.session_check_timeout: expected whole seconds", p, StringComparison.Ordinal),
            p => Assert.StartsWith("cluster.down_after: expected at least twice cluster.heartbeat_interval (00:00:06), got 00:00:05", p, StringComparison.Ordinal),
            p => Assert.StartsWith("replica id: expected 1 to 63 bytes", p, StringComparison.Ordinal),
            p => Assert.StartsWith("replica http address: expected an absolute http:// or https:// URL, got 'tcp://x'", p, StringComparison.Ordinal),
            p => Assert.StartsWith("replica region: expected a name", p, StringComparison.Ordinal));
        Assert.Empty(new ClusterOptions().Problems());
        Assert.Empty(new ReplicaIdentity(ReplicaIdentity.NewId(), "http://10.0.0.5:8000", "http://10.0.0.5:8001", ReplicaIdentity.DefaultRegion, new Dictionary<string, string>()).Problems());
    }

    [Fact]
    public void A_fault_grace_that_is_not_positive_or_shorter_than_two_heartbeats_is_refused_naming_the_keys()
    {
        Assert.Equal(
            ["cluster.fault_grace: expected at least twice cluster.heartbeat_interval (00:00:04), got 00:00:03; a replica marked down by mistake is up again at its next heartbeat, and would lose its faults before"],
            new ClusterOptions { HeartbeatInterval = TimeSpan.FromSeconds(2), FaultGrace = TimeSpan.FromSeconds(3) }.Problems());
        Assert.Equal(["cluster.fault_grace: expected a positive duration, got 00:00:00"], new ClusterOptions { FaultGrace = TimeSpan.Zero }.Problems());
        Assert.Equal(TimeSpan.FromMinutes(5), new ClusterOptions().FaultGrace);
    }
}
