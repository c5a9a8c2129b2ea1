using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Usher.Backends.Onnx.Samples;
using Usher.ControlPlane.Cluster;
using Usher.Testing;

namespace Usher.Cli.Tests;

/// <summary>
/// A replica of <c>usher serve --state postgresql://...</c> while its PostgreSQL server is stopped for
/// maintenance and started again, as a real process on a server of the test's own: inference goes on,
/// calls that need the state are answered 503 with <c>Retry-After</c> (not 500), and once the server is
/// back the replica registers, leads and writes again without a restart.
/// </summary>
public sealed partial class StateOutageProcessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string> Loopback = new(StringComparer.Ordinal)
    {
        ["USHER_SERVER__HOST"] = "127.0.0.1",
        ["USHER_SERVER__GRPC_PORT"] = "-1",
        ["USHER_ADMIN__TICK_MS"] = "200",
    };

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public async Task PostgresStopped_InferenceGoesOn_StateCallsAnswer503WithRetryAfter_AndOnceItIsBack_TheReplicaLeadsAndWritesAgain()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        var repository = _temp.Combine("models");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        await using var usher = UsherProcess.Start(_temp.Path, ["serve", "--model-repository", repository, "--http-port", "0", "--state", postgres.Uri(database)], Loopback);
        var address = new Uri((await usher.WaitForLineAsync(ListeningLine(), Deadline)).Groups["address"].Value);
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(15) };
        await PollAsync(usher, async () => await LeadsAsync(postgres, database), "leading before the outage");

        await postgres.StopAsync();

        for (var i = 0; i < 20; i++)
        {
            using var served = await client.PostAsJsonAsync("/v2/models/fraud/infer", ServeProcessTests.FraudRequest(1));
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"inference during the outage: {(int)served.StatusCode} {await served.Content.ReadAsStringAsync()}");
        }

        using (var history = await client.GetAsync(new Uri("/admin/endpoints/fraud/history", UriKind.Relative)))
        {
            var text = await history.Content.ReadAsStringAsync();
            Assert.True(history.StatusCode == HttpStatusCode.ServiceUnavailable, $"history during the outage: {(int)history.StatusCode} {text}\n{usher.Transcript}");
            Assert.Equal(TimeSpan.FromSeconds(1), history.Headers.RetryAfter?.Delta);
            Assert.Contains("the state store cannot be reached", text, StringComparison.Ordinal);
            Assert.True(text.Contains(postgres.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), text);
        }

        using (var refused = await DeployAsync(client, version: 1))
        {
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"deploy during the outage: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
        }

        await postgres.RestartAsync();

        // No restart of the replica: it reconnects, registers, stands again, and the deploy is stored and served.
        await PollAsync(usher, async () => await LeadsAsync(postgres, database), "leading after the outage");
        await PollAsync(usher, async () =>
        {
            using var deployed = await DeployAsync(client, version: 1);
            return deployed.StatusCode == HttpStatusCode.Created;
        }, "a deploy after the outage");
        using var after = await client.PostAsJsonAsync("/v2/models/fraud/infer", ServeProcessTests.FraudRequest(1));
        Assert.Equal("fraud:1", after.Headers.GetValues("x-usher-variant").Single());
        Assert.DoesNotContain("Unhandled exception", usher.StandardOutput + usher.StandardError, StringComparison.Ordinal);
    }

    // Whether the replica's registered row is up and it holds the controller's lock.
    private static async Task<bool> LeadsAsync(PostgresServer postgres, string database)
    {
        await using var source = NpgsqlDataSource.Create(postgres.ConnectionString(database) + ";Pooling=false");
        var leader = await LeaderElection.CurrentLeaderAsync(source, CancellationToken.None);
        var rows = await new ReplicaRegistry(source).ListAsync(CancellationToken.None);
        return leader is not null && rows.Any(r => r.Id == leader && r.IsUp);
    }

    private static Task<HttpResponseMessage> DeployAsync(HttpClient client, int version)
        => client.PostAsync(
            new Uri("/admin/deployments", UriKind.Relative),
            new StringContent($$"""{"endpoint": "fraud", "version": {{version}}, "strategy": "direct"}""", Encoding.UTF8, "application/json"));

    private static async Task PollAsync(UsherProcess usher, Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        var last = "no answer";
        while (clock.Elapsed < Deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or NpgsqlException)
            {
                last = e.Message;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        Assert.Fail($"{what}: not within {Deadline.TotalSeconds} s; last error: {last}\n{usher.Transcript}");
    }

    [GeneratedRegex(@"Now listening on: (?<address>http://\S+)")]
    private static partial Regex ListeningLine();
}
