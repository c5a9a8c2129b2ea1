using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Routing;
using Usher.Core.Telemetry;
using Usher.Server.Admin;
using Usher.Testing;

namespace Usher.Server.Tests.Admin;

/// <summary>
/// A real Usher over a repository of the fraud classifier, on fake time (the controller's windows
/// and step intervals move only when a test advances them), with seeded fault injection, and the
/// admin and inference calls the rollout tests make.
/// </summary>
internal sealed class RolloutHarness : IAsyncDisposable
{
    public const string Endpoint = "fraud";

    private readonly Action<AdminOptions>? _admin;
    private readonly bool _kestrel;
    private readonly int _pollSeconds;

    private RolloutHarness(TempDirectory repo, TempDirectory data, FakeTimeProvider time, Action<AdminOptions>? admin, bool kestrel, int pollSeconds)
    {
        _pollSeconds = pollSeconds;
        Repo = repo;
        Data = data;
        Time = time;
        _admin = admin;
        _kestrel = kestrel;
    }

    public TempDirectory Repo { get; }

    public TempDirectory Data { get; }

    public FakeTimeProvider Time { get; }

    public UsherApp App { get; private set; } = null!;

    public HttpClient Client => App.Client;

    /// <summary>
    /// Starts a server over <c>fraud</c> versions <paramref name="versions"/> (the sample's weights), its
    /// config.yaml extended with <paramref name="configYaml"/>. The controller's timer ticks only every
    /// 60 s of fake time; tests drive decisions with <see cref="AdvanceAsync"/>.
    /// </summary>
    public static async Task<RolloutHarness> StartAsync(int[]? versions = null, string? configYaml = null, Action<AdminOptions>? admin = null, bool kestrel = false, int pollSeconds = 0)
    {
        var repo = new TempDirectory();
        var data = new TempDirectory();
        File.WriteAllText(repo.Combine(Endpoint, "config.yaml"), SampleModels.FraudConfigYaml + (configYaml ?? ""));
        foreach (var version in versions ?? [1])
        {
            WriteVersion(repo, version, SampleModels.BuildFraud(version));
        }

        var harness = new RolloutHarness(repo, data, new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero)), admin, kestrel, pollSeconds);
        await harness.StartAppAsync();
        return harness;
    }

    /// <summary>Stops the server and starts a new one on the same repository and state folder, at the same fake time.</summary>
    public async Task RestartAsync()
    {
        await App.DisposeAsync();
        await StartAppAsync();
    }

    /// <summary>Writes version <paramref name="version"/> of the fraud classifier into the repository.</summary>
    public void AddVersion(int version) => WriteVersion(Repo, version, SampleModels.BuildFraud(version));

    /// <summary>Writes a classifier whose predictions drift far from fraud's as version <paramref name="version"/>.</summary>
    public void AddDriftedVersion(int version) => WriteVersion(Repo, version, SampleModels.BuildFraudDrifted(version));

    /// <summary>Asks the server to (re)load fraud from the repository, as an operator would after copying a version in.</summary>
    public async Task LoadAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/repository/models/{Endpoint}/load");
        if (App.App.Services.GetRequiredService<AdminOptions>().Token is { } token)
        {
            // Loading is repository control: with a token set, the operator sends it.
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"load: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Advances fake time and runs one controller tick at the new time.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Time.Advance(by);
        await App.Controller.TickAsync(CancellationToken.None);
        await App.Controller.RepositoryDeploymentsAsync();
    }

    /// <summary>One feature row of the classifier, the same for the same seed.</summary>
    public static float[] Row(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, SampleModels.FraudFeatures).Select(_ => (float)((random.NextDouble() * 4) - 2))];
    }

    /// <summary>One inference on the endpoint with a routing key and/or a pinned variant.</summary>
    public Task<HttpResponseMessage> InferAsync(int row, string? key = null, string? pin = null, string path = "/v2/models/fraud/infer")
    {
        var body = JsonSerializer.Serialize(new { inputs = new[] { new { name = "features", shape = new[] { 1, SampleModels.FraudFeatures }, datatype = "FP32", data = Row(row) } } });
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add(RouteHints.RoutingKeyHeader, key);
        }

        if (pin is not null)
        {
            request.Headers.Add(RouteHints.VariantHeader, pin);
        }

        return Client.SendAsync(request);
    }

    /// <summary>Sends one request and returns its status and the variant header of the answer.</summary>
    public async Task<(HttpStatusCode Status, string? Variant)> CallAsync(int row, string? key = null, string? pin = null)
    {
        using var response = await InferAsync(row, key, pin);
        return (response.StatusCode, Variant(response));
    }

    public static string? Variant(HttpResponseMessage response)
        => response.Headers.TryGetValues(RouteHints.VariantHeader, out var values) ? values.Single() : null;

    /// <summary>
    /// Sends rows 0..n-1 pinned to each of <paramref name="variants"/>: both variants of a canary see the
    /// same inputs, so their prediction distributions differ only by the models, not by the sample.
    /// </summary>
    public async Task SendPairedAsync(int n, params string[] variants)
    {
        for (var i = 0; i < n; i++)
        {
            foreach (var variant in variants)
            {
                var (status, answered) = await CallAsync(i, pin: variant);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(variant, answered);
            }
        }
    }

    public Task<HttpResponseMessage> AdminAsync(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body is string text
                ? new StringContent(text, Encoding.UTF8, "application/json")
                : JsonContent.Create(body);
        }

        return Client.SendAsync(request);
    }

    /// <summary>Calls the admin API and asserts the status; returns the JSON body.</summary>
    public async Task<JsonElement> AdminJsonAsync(HttpMethod method, string path, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await AdminAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public Task<JsonElement> DeployAsync(object spec, HttpStatusCode expected = HttpStatusCode.Created)
        => AdminJsonAsync(HttpMethod.Post, "/admin/deployments", spec, expected);

    public Task<JsonElement> RolloutAsync() => AdminJsonAsync(HttpMethod.Get, $"/admin/endpoints/{Endpoint}/rollout");

    public Task<JsonElement> ActAsync(string action, HttpStatusCode expected = HttpStatusCode.OK)
        => AdminJsonAsync(HttpMethod.Post, $"/admin/endpoints/{Endpoint}/rollout/{action}", null, expected);

    public async Task<IReadOnlyList<JsonElement>> HistoryAsync()
        => [.. (await AdminJsonAsync(HttpMethod.Get, $"/admin/endpoints/{Endpoint}/history")).GetProperty("events").EnumerateArray()];

    /// <summary>The endpoint's route table as GET /admin/endpoints shows it: variant name to weight.</summary>
    public async Task<IReadOnlyDictionary<string, double>> WeightsAsync()
    {
        var list = await AdminJsonAsync(HttpMethod.Get, "/admin/endpoints");
        var endpoint = list.GetProperty("endpoints").EnumerateArray().Single(e => e.GetProperty("name").GetString() == Endpoint);
        return endpoint.GetProperty("variants").EnumerateArray().ToDictionary(
            v => $"{v.GetProperty("model").GetString()}:{v.GetProperty("version").GetInt64().ToString(CultureInfo.InvariantCulture)}",
            v => v.GetProperty("weight").GetDouble());
    }

    /// <summary>Whether version <paramref name="version"/> of fraud is loaded now.</summary>
    public bool IsLoaded(long version) => App.Models.Find(Endpoint)?.Find(version)?.Loaded is not null;

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        Repo.Dispose();
        Data.Dispose();
    }

    private static void WriteVersion(TempDirectory repo, int version, byte[] model)
        => File.WriteAllBytes(repo.Combine(Endpoint, version.ToString(CultureInfo.InvariantCulture), "model.onnx"), model);

    private async Task StartAppAsync()
    {
        App = await UsherApp.StartAsync(
            Repo.Path,
            kestrel: _kestrel,
            dataDir: Data.Path,
            repo: r => r.PollSeconds = _pollSeconds,
            admin: o =>
            {
                o.TickMs = 60_000;
                _admin?.Invoke(o);
            },
            configure: b =>
            {
                b.Services.AddSingleton<TimeProvider>(Time);

                // Seeded, so which requests an injected fault aborts is the same in every run.
                b.Services.AddSingleton(sp => new FaultInjector(Time, sp.GetRequiredService<UsherMetrics>(), new Random(42)));
            });
    }
}
