using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Server.Tests.Hosting;

/// <summary>The <c>cluster</c> section: a replica's identity and its membership's timings, from the file, the environment and the flags.</summary>
public sealed class ClusterSettingsTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    [Fact]
    public void Load_ClusterSection_BindsIdentityAndTimings_FlagsOverTheFile()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("usher.yaml");
        File.WriteAllText(file, $"repository:\n  path: {dir.Path}\ncluster:\n  region: eu\n  heartbeat_interval: 00:00:02\n  down_after: 00:00:07\n");
        var env = new Dictionary<string, string> { ["USHER_CLUSTER__LEADER_POLL_INTERVAL"] = "00:00:00.500" };

        var cluster = UsherSettings.Load(file, new Dictionary<string, string> { ["cluster:region"] = "us", ["cluster:labels"] = "hw=gpu, zone=b", ["cluster:advertise"] = "http://10.0.0.5:8000" }, env).Cluster;

        Assert.Equal(("us", "http://10.0.0.5:8000"), (cluster.Region, cluster.Advertise));
        Assert.Equal(new Dictionary<string, string> { ["hw"] = "gpu", ["zone"] = "b" }, cluster.LabelPairs());
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(7), TimeSpan.FromMilliseconds(500)), (cluster.HeartbeatInterval, cluster.DownAfter, cluster.LeaderPollInterval));
        Assert.Equal(TimeSpan.FromSeconds(10), cluster.RouteRereadInterval);
    }

    [Fact]
    public void Load_BadClusterSettings_ReportsEachNamingItsKey()
    {
        using var dir = new TempDirectory();
        var flags = new Dictionary<string, string>
        {
            ["repository:path"] = dir.Path,
            ["cluster:labels"] = "hw=cpu,zone,hw=gpu",
            ["cluster:advertise"] = "http://0.0.0.0:8000",
            ["cluster:heartbeat_interval"] = "00:00:03",
            ["cluster:reconnect_delay"] = "soon",
        };

        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(null, flags, NoEnvironment));

        Assert.Contains(ex.Errors, e => e.Contains("cluster.reconnect_delay: expected a duration as HH:MM:SS (00:00:05 for 5 s), got 'soon'", StringComparison.Ordinal));
        Assert.Contains("cluster.labels: expected KEY=VALUE[,KEY=VALUE...], got 'zone' in 'hw=cpu,zone,hw=gpu'", ex.Errors);
        Assert.Contains("cluster.labels: the key 'hw' is given twice in 'hw=cpu,zone,hw=gpu'", ex.Errors);
        Assert.Contains(ex.Errors, e => e.StartsWith("cluster.advertise: expected the http:// or https:// URL other machines reach this replica at", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("cluster.down_after: expected at least twice cluster.heartbeat_interval (00:00:06), got 00:00:05", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_ALabelValueThatIsNotALabelValue_IsAnErrorNamingTheKeyAndTheValue()
    {
        using var dir = new TempDirectory();
        var flags = new Dictionary<string, string> { ["repository:path"] = dir.Path, ["cluster:labels"] = "hw=gpu x,zone=-a" };

        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(null, flags, NoEnvironment));

        const string expected = "expected a label value: 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. gpu)";
        Assert.Contains($"cluster.labels: the value of 'hw' is 'gpu x'; {expected}", ex.Errors);
        Assert.Contains($"cluster.labels: the value of 'zone' is '-a'; {expected}", ex.Errors);
    }

    [Fact]
    public void Load_LeaderKeepalives_BindFromTheFile_AndDefaultToEightSecondsBeforeTheServerDropsTheSession()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("usher.yaml");
        File.WriteAllText(file, $"repository:\n  path: {dir.Path}\ncluster:\n  leader_keepalive_idle: 00:00:10\n  leader_keepalive_interval: 00:00:03\n  leader_keepalive_count: 5\n");

        var cluster = UsherSettings.Load(file, new Dictionary<string, string>(), NoEnvironment).Cluster;
        var defaults = UsherSettings.Load(null, new Dictionary<string, string> { ["repository:path"] = dir.Path }, NoEnvironment).Cluster;

        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3), 5, TimeSpan.FromSeconds(25)), (cluster.LeaderKeepaliveIdle, cluster.LeaderKeepaliveInterval, cluster.LeaderKeepaliveCount, cluster.LeaderDropAfter));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), 3, TimeSpan.FromSeconds(8)), (defaults.LeaderKeepaliveIdle, defaults.LeaderKeepaliveInterval, defaults.LeaderKeepaliveCount, defaults.LeaderDropAfter));
    }

    [Fact]
    public void Load_BadLeaderKeepalives_AreRefused_EachNamingItsKeyAndWhatItTakes()
    {
        using var dir = new TempDirectory();
        var flags = new Dictionary<string, string>
        {
            ["repository:path"] = dir.Path,
            ["cluster:leader_keepalive_idle"] = "00:00:00.500",
            ["cluster:leader_keepalive_interval"] = "10:00:00",
            ["cluster:leader_keepalive_count"] = "0",
        };

        var ex = Assert.Throws<SettingsException>(() => UsherSettings.Load(null, flags, NoEnvironment));

        Assert.Contains("cluster.leader_keepalive_idle: expected whole seconds from 1 s to 32767 s (TCP keepalive times are in seconds), got 00:00:00.5000000", ex.Errors);
        Assert.Contains("cluster.leader_keepalive_interval: expected whole seconds from 1 s to 32767 s (TCP keepalive times are in seconds), got 10:00:00", ex.Errors);
        Assert.Contains("cluster.leader_keepalive_count: expected a whole number of probes from 1 to 127, got 0", ex.Errors);
    }
}
