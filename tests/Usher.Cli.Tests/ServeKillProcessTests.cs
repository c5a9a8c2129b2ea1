using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Usher.Backends.Onnx.Samples;
using Usher.Testing;

namespace Usher.Cli.Tests;

/// <summary>
/// <c>usher serve</c> killed with SIGKILL in the middle of a rollout, then started again on the same
/// repository: the rollout, its weights and its whole history come back as they were.
/// </summary>
public sealed class ServeKillProcessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static readonly Regex ListeningLine = new(@"Now listening on: (?<address>http://\S+)", RegexOptions.CultureInvariant);

    private static readonly Dictionary<string, string> Loopback = new(StringComparer.Ordinal)
    {
        ["USHER_SERVER__HOST"] = "127.0.0.1",
        ["USHER_SERVER__GRPC_PORT"] = "0",
    };

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task KillNine_DuringAPausedCanary_Restart_KeepsTheStepWeightsPhaseAndEveryHistoryEvent_AndTheRolloutGoesOn()
    {
        var repository = _temp.Combine("repo");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        string[] serve = ["serve", "--model-repository", repository, "--http-port", "0"];

        JsonNode before;
        JsonNode historyBefore;
        await using (var first = UsherProcess.Start(_temp.Path, serve, Loopback))
        {
            using var client = await ReadyClientAsync(first);
            // 503 while the control plane starts (the repository still loading): ask again.
            var deadline = DateTime.UtcNow + Deadline;
            while (true)
            {
                using var deployed = await client.PostAsJsonAsync("/admin/deployments", new JsonObject
                {
                    ["endpoint"] = "fraud",
                    ["model"] = "fraud",
                    ["version"] = 1, // the sample serves its newest, 2: the canary goes back to 1
                    ["strategy"] = "canary",
                    ["canary"] = new JsonObject { ["steps"] = new JsonArray(10, 50, 100), ["interval"] = "1h" },
                });
                if (deployed.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
                {
                    Assert.True(deployed.StatusCode == HttpStatusCode.Created, $"{(int)deployed.StatusCode}: {await deployed.Content.ReadAsStringAsync()}\n{first.Transcript}");
                    break;
                }

                await Task.Delay(100);
            }

            while ((string?)(await GetJsonAsync(client, "/admin/endpoints/fraud/rollout"))["phase"] != "progressing")
            {
                Assert.True(DateTime.UtcNow < deadline, $"the canary never started progressing\n{first.Transcript}");
                await Task.Delay(100);
            }

            // With a Content-Length: the admin API reads an action's body only when one is given.
            using (var paused = await client.PostAsync("/admin/endpoints/fraud/rollout/pause", new StringContent("""{"reason": "before the kill"}""", System.Text.Encoding.UTF8, "application/json")))
            {
                Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
            }

            before = await GetJsonAsync(client, "/admin/endpoints/fraud/rollout");
            historyBefore = await GetJsonAsync(client, "/admin/endpoints/fraud/history");
            await first.KillAsync();
            Assert.Equal(137, await first.WaitForExitAsync(Deadline));
        }

        await using var second = UsherProcess.Start(_temp.Path, serve, Loopback);
        using var again = await ReadyClientAsync(second);
        var after = await GetJsonAsync(again, "/admin/endpoints/fraud/rollout");
        var historyAfter = await GetJsonAsync(again, "/admin/endpoints/fraud/history");

        Assert.Equal("paused", (string?)before["phase"]);
        foreach (var key in new[] { "id", "phase", "stable_version", "candidate_version", "step", "weight" })
        {
            Assert.Equal(before[key]?.ToJsonString(), after[key]?.ToJsonString());
        }

        // Every event written before the kill is there, unchanged, in the same order.
        var eventsBefore = historyBefore["events"]!.AsArray().Select(e => e!.ToJsonString()).ToList();
        var eventsAfter = historyAfter["events"]!.AsArray().Select(e => e!.ToJsonString()).ToList();
        Assert.Contains(historyBefore["events"]!.AsArray(), e => (string?)e!["kind"] == "pause" && ((string?)e["message"])!.Contains("before the kill", StringComparison.Ordinal));
        Assert.Equal(eventsBefore, eventsAfter.Take(eventsBefore.Count));

        // The canary's weight is served again: both versions answer on the endpoint.
        var variants = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 200 && variants.Count < 2; i++)
        {
            using var response = await again.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequest());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            variants.Add(response.Headers.GetValues("x-usher-variant").Single());
        }

        Assert.Equal(["fraud:1", "fraud:2"], variants.Order(StringComparer.Ordinal));

        // And it goes on from where it was: resume, then promote, complete the rollout.
        using (var resumed = await again.PostAsync("/admin/endpoints/fraud/rollout/resume", null))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }

        using var promoted = await again.PostAsync("/admin/endpoints/fraud/rollout/promote", null);
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
    }

    private static async Task<HttpClient> ReadyClientAsync(UsherProcess usher)
    {
        var match = await usher.WaitForLineAsync(ListeningLine, Deadline);
        var client = new HttpClient { BaseAddress = new Uri(match.Groups["address"].Value) };
        using var cts = new CancellationTokenSource(Deadline);
        while (true)
        {
            try
            {
                using var ready = await client.GetAsync(new Uri("/v2/models/fraud/versions/2/ready", UriKind.Relative), cts.Token);
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return client;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.False(cts.IsCancellationRequested, $"fraud version 2 never became ready\n{usher.Transcript}");
            await Task.Delay(100, CancellationToken.None);
        }
    }

    /// <summary>GET as JSON; a 503 (the control plane still starting after a restart) is asked again.</summary>
    private static async Task<JsonNode> GetJsonAsync(HttpClient client, string path)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
                return JsonNode.Parse(text)!;
            }

            await Task.Delay(100);
        }
    }

    private static JsonObject FraudRequest()
    {
        var data = new JsonArray();
        for (var i = 0; i < SampleModels.FraudFeatures; i++)
        {
            data.Add(0.1f * i);
        }

        return new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "features",
                ["datatype"] = "FP32",
                ["shape"] = new JsonArray(1, SampleModels.FraudFeatures),
                ["data"] = data,
            }),
        };
    }
}
