using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Core.Routing;
using Usher.Streaming.Hosting;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Tests.Fixtures;
using Usher.Testing;

namespace Usher.Streaming.Tests.Transports;

/// <summary>Stream messages go through the endpoint's router: a canary's weights split them, sticky by the routing key.</summary>
public sealed class CanaryStreamTests
{
    [Fact]
    public async Task Canary_SplitsStreamAnswersByTheRouteTableWeights_StickyByRoutingKey()
    {
        const int users = 1000;
        await using var models = await InProcessModels.OpenAsync(RepoRoot.Combine("samples", "models"), TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None);
        models.Routes.Publish(new RouteTable("fraud", [new RouteVariant("fraud", 1, 80), new RouteVariant("fraud", 2, 20)]));

        // Every user twice: a sticky key sends both of a user's messages to one version.
        var lines = new StringBuilder();
        for (var i = 0; i < 2 * users; i++)
        {
            lines.Append(Requests.Fraud(i, user: $"user-{i % users}")).Append('\n');
        }

        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes(lines.ToString()));
        using var stdout = new MemoryStream();
        var spec = new StreamSpec { Model = "fraud", Source = "-", Sink = "-", RoutingKey = "parameters.user_id" };
        using var metrics = new StreamMetrics();
        await StreamRunner.RunAsync(spec, new RouterScorer(models.Router), metrics, TimeProvider.System, NullLogger.Instance, CancellationToken.None, stdin, stdout);

        var byUser = new Dictionary<string, HashSet<long>>();
        foreach (var line in Encoding.UTF8.GetString(stdout.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var answer = JsonDocument.Parse(line);
            var line0 = int.Parse(answer.RootElement.GetProperty("source_id").GetString()!, System.Globalization.CultureInfo.InvariantCulture) - 1;
            var user = $"user-{line0 % users}";
            var version = answer.RootElement.GetProperty("model_version").GetInt64();
            (byUser.TryGetValue(user, out var set) ? set : byUser[user] = []).Add(version);
        }

        Assert.Equal(users, byUser.Count);
        Assert.All(byUser.Values, versions => Assert.Single(versions));
        var canary = byUser.Values.Count(v => v.Contains(2));

        // Binomial(1000, 0.2): mean 200, sd sqrt(1000 * 0.2 * 0.8) = 12.6; five sd either side.
        Assert.InRange(canary, 200 - 63, 200 + 63);
    }
}
