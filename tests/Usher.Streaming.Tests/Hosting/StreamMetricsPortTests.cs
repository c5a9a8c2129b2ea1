using System.Globalization;
using StackExchange.Redis;
using Usher.Streaming.Tests.Fixtures;
using Usher.Testing;

namespace Usher.Streaming.Tests.Hosting;

/// <summary><c>usher stream --metrics-port</c>: the real process serves /metrics with the streams' and the models' series.</summary>
public sealed class StreamMetricsPortTests
{
    [SkippableFact]
    public async Task MetricsPort_ServesTheStreamsAndTheModelsSeries_InPrometheusText()
    {
        const int count = 30;
        await using var redis = await ServerProcess.StartRedisAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}");
        var db = connection.GetDatabase();
        for (var i = 0; i < count; i++)
        {
            await db.StreamAddAsync("tx", "request", Requests.Fraud(i));
        }

        using var stream = UsherStreamProcess.Start(
            "fraud", "--source", $"redis://127.0.0.1:{redis.Port}/tx", "--sink", $"redis://127.0.0.1:{redis.Port}/scores",
            "--consumer", "m1", "--metrics-port", "0", "--model-repository", RepoRoot.Combine("samples", "models"));
        var line = await stream.WaitForLogAsync("Serving the stream's metrics at ", TimeSpan.FromSeconds(120));
        var address = new Uri(line[(line.IndexOf("http://", StringComparison.Ordinal))..]);
        var until = DateTime.UtcNow.AddSeconds(120);
        while (await db.StreamLengthAsync("scores") < count)
        {
            Assert.False(stream.HasExited, stream.Log);
            Assert.True(DateTime.UtcNow < until, $"fewer than {count} answers after 120 s:\n{stream.Log}");
            await Task.Delay(100);
        }

        using var client = new HttpClient();
        var text = await client.GetStringAsync(address);

        Assert.Equal(count, Sum(text, "usher_stream_messages_out_total{", "stream=\"fraud\""));
        Assert.Equal(count, Sum(text, "usher_stream_messages_in_total{", "stream=\"fraud\""));
        Assert.Contains("usher_stream_latency_seconds_bucket{", text, StringComparison.Ordinal);
        // The models' series, from the same meter, as usher serve exports them: every answer is one request.
        Assert.Equal(count, Sum(text, "usher_inference_request_success_total{", "model=\"fraud\""));
        await stream.TerminateAsync();
    }

    /// <summary>The sum of the samples of <paramref name="series"/> whose labels include <paramref name="label"/>.</summary>
    private static double Sum(string exposition, string series, string label) => exposition.Split('\n')
        .Where(l => l.StartsWith(series, StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
        .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 2)..].Split(' ')[0], CultureInfo.InvariantCulture));
}
