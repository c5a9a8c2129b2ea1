using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;
using Usher.Streaming.Tests.Fixtures;
using Usher.Testing;

namespace Usher.Streaming.Tests.Hosting;

/// <summary>
/// <c>streams:</c> in usher.yaml run by the real <c>usher serve</c> (a child process, real Kestrel,
/// real redis-server): the stream answers as REST does, shows on the server's /metrics, drains on
/// SIGTERM; a broker that is down stops start-up.
/// </summary>
public sealed class ServeStreamsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task Serve_WithStreams_AnswersAsRestDoes_CountsOnMetrics_AndDrainsOnSigterm()
    {
        const int count = 100;
        await using var redis = await ServerProcess.StartRedisAsync();
        using var folder = new TempDirectory();
        var http = FreePort.Next();
        var config = Config(folder, redis.Port);
        using var serve = Serve(folder, config, http);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}/") };
        await WaitReadyAsync(client, serve);

        using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}");
        var db = connection.GetDatabase();
        for (var i = 0; i < count; i++)
        {
            await db.StreamAddAsync("tx", "request", Requests.Fraud(i));
        }

        var answers = await WaitAnswersAsync(db, count, serve);

        // The same request over REST on the same server: the same version, the same probabilities.
        foreach (var seed in new[] { 0, 41, 99 })
        {
            var streamed = answers[$"m{seed}"];
            using var rest = await client.PostAsync("v2/models/fraud/infer", new StringContent(Requests.Fraud(seed), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
            using var restJson = JsonDocument.Parse(await rest.Content.ReadAsStringAsync());
            Assert.Equal(restJson.RootElement.GetProperty("model_version").GetString(), streamed.Version.ToString(CultureInfo.InvariantCulture));
            var expected = Probabilities(restJson.RootElement);
            var actual = Probabilities(streamed.Response.RootElement);
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i], actual[i], 1e-6);
            }
        }

        // The server's own /metrics carries the stream's series.
        var metrics = await client.GetStringAsync("metrics");
        var answered = metrics.Split('\n').Where(l => l.StartsWith("usher_stream_messages_out_total{", StringComparison.Ordinal) && l.Contains("stream=\"fraud\"", StringComparison.Ordinal)).ToList();
        Assert.True(answered.Count == 1, $"no single usher_stream_messages_out_total series for fraud in:\n{metrics}");
        Assert.Equal(count, double.Parse(answered[0][(answered[0].LastIndexOf('}') + 2)..].Split(' ')[0], CultureInfo.InvariantCulture));

        await serve.TerminateAsync();
        Assert.Equal(0, (await db.StreamPendingAsync("tx", "usher")).PendingMessageCount);
    }

    [SkippableFact]
    public async Task Serve_WithStreams_BrokerDown_ExitsTwoNamingTheStreamAndTheBroker()
    {
        ServerProcess.Require("redis-server");
        using var folder = new TempDirectory();
        var closed = FreePort.Next(); // nothing listens there
        var config = Config(folder, closed);
        using var serve = Serve(folder, config, FreePort.Next());

        var code = await serve.ExitCodeAsync(Limit);

        Assert.True(code == 2, $"exit code {code}, expected 2:\n{serve.Log}");
        Assert.Contains("streams[0] (fraud)", serve.Log, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{closed}", serve.Log, StringComparison.Ordinal);
    }

    private static string Config(TempDirectory folder, int redisPort)
    {
        var path = folder.Combine("usher.yaml");
        File.WriteAllText(path, $"""
            streams:
              - model: fraud
                source: redis://127.0.0.1:{redisPort}/tx
                sink: redis://127.0.0.1:{redisPort}/scores
                consumer: serve-0
                max_in_flight: 256

            """);
        return path;
    }

    private static UsherStreamProcess Serve(TempDirectory folder, string config, int http) => UsherStreamProcess.Command(
        ["serve", "--config", config, "--model-repository", RepoRoot.Combine("samples", "models"),
         "--http-port", http.ToString(CultureInfo.InvariantCulture), "--grpc-port", "-1", "--data-dir", folder.Combine("state")],
        folder.Path);

    private static async Task WaitReadyAsync(HttpClient client, UsherStreamProcess serve)
    {
        var until = DateTime.UtcNow + Limit;
        while (true)
        {
            Assert.False(serve.HasExited, $"usher serve exited:\n{serve.Log}");
            try
            {
                using var ready = await client.GetAsync("v2/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < until, $"usher serve not ready after {Limit.TotalSeconds} s:\n{serve.Log}");
            await Task.Delay(100);
        }
    }

    private sealed record Answer(long Version, JsonDocument Response);

    private static async Task<Dictionary<string, Answer>> WaitAnswersAsync(IDatabase db, int unique, UsherStreamProcess serve)
    {
        var until = DateTime.UtcNow + Limit;
        while (true)
        {
            var entries = await db.StreamRangeAsync("scores");
            var answers = new Dictionary<string, Answer>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                var response = (string?)entry["response"];
                Assert.True(response is not null, $"a failure instead of an answer: {entry["error"]}");
                var source = (string)entry["source_id"]!;
                var json = JsonDocument.Parse(response);
                answers[json.RootElement.GetProperty("id").GetString()!] = new Answer((long)entry["model_version"], json);
                Assert.Matches("^[0-9]+-[0-9]+$", source); // a Redis entry id, for dropping duplicates
            }

            if (answers.Count >= unique)
            {
                return answers;
            }

            Assert.False(serve.HasExited, $"usher serve exited:\n{serve.Log}");
            Assert.True(DateTime.UtcNow < until, $"{answers.Count} of {unique} answers after {Limit.TotalSeconds} s:\n{serve.Log}");
            await Task.Delay(100);
        }
    }

    private static double[] Probabilities(JsonElement response)
        => [.. response.GetProperty("outputs").EnumerateArray().First(o => o.GetProperty("name").GetString() == "probabilities").GetProperty("data").EnumerateArray().Select(v => v.GetDouble())];
}
