using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Usher.Backends.Onnx.Samples;
using Usher.Testing;

namespace Usher.Cli.Tests;

/// <summary><c>usher serve --log-format json</c> run as a real process, its console output captured.</summary>
public sealed partial class ServeLogFormatTests : IDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string> Loopback = new(StringComparer.Ordinal)
    {
        ["USHER_SERVER__HOST"] = "127.0.0.1",
        ["USHER_SERVER__GRPC_PORT"] = "0",
    };

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task JsonLogs_AreOneObjectPerLine_AndAnEventDuringARequest_CarriesItsRequestIdAndTheClientsTraceId()
    {
        var repository = _temp.Combine("repo");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        await using var usher = UsherProcess.Start(_temp.Path, ["serve", "--model-repository", repository, "--http-port", "0", "--log-format", "json"], Loopback);
        var listening = await usher.WaitForLineAsync(ListeningLine(), StartDeadline);
        using var client = new HttpClient { BaseAddress = new Uri(listening.Groups["address"].Value) };
        await WaitUntilReadyAsync(client, usher);

        // Unloading logs "... unloaded" while the request runs; the client's traceparent names the trace.
        var trace = ActivityTraceId.CreateRandom().ToHexString();
        using var unload = new HttpRequestMessage(HttpMethod.Post, "/v2/repository/models/fraud/unload");
        unload.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using (var response = await client.SendAsync(unload))
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }

        var line = await usher.WaitForLineAsync(UnloadedLine(), TimeSpan.FromSeconds(30));
        using var logged = JsonDocument.Parse(line.Value);
        var scopes = logged.RootElement.GetProperty("Scopes").EnumerateArray().ToList();
        Assert.Equal(trace, Scope(scopes, "TraceId"));
        Assert.Equal("/v2/repository/models/fraud/unload", Scope(scopes, "RequestPath"));
        Assert.Matches("^[0-9A-Z]+:[0-9A-F]+$", Scope(scopes, "RequestId"));
        Assert.Equal("Usher.Core.Repository.ModelManager", logged.RootElement.GetProperty("Category").GetString());

        await usher.TerminateAsync();
        Assert.Equal(0, await usher.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        // Every line written is one JSON object (start-up, the request, shutdown).
        var lines = usher.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 3, usher.Transcript);
        foreach (var text in lines)
        {
            using var parsed = JsonDocument.Parse(text);
            Assert.True(parsed.RootElement.TryGetProperty("LogLevel", out _), text);
        }
    }

    [Fact]
    public async Task UnknownLogFormat_IsRefusedNamingTheFlag()
    {
        await using var usher = await UsherProcess.RunAsync(_temp.Path, ["serve", "--log-format", "xml"], TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, await usher.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("--log-format: expected 'text' or 'json', got 'xml'", usher.StandardError, StringComparison.Ordinal);
    }

    private static string? Scope(List<JsonElement> scopes, string name)
        => scopes.Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty(name, out _)).Select(s => s.GetProperty(name).GetString()).FirstOrDefault();

    private static async Task WaitUntilReadyAsync(HttpClient client, UsherProcess usher)
    {
        var deadline = DateTime.UtcNow + StartDeadline;
        while (true)
        {
            try
            {
                using var ready = await client.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, "not ready in time\n" + usher.Transcript);
            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"Now listening on: (?<address>http://[^\s""]+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"^\{.*fraud.* unloaded.*\}$")]
    private static partial Regex UnloadedLine();
}
