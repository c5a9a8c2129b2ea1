using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Repository;
using Usher.Server.Admin;
using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Dashboard.Tests;

/// <summary>
/// A real Usher on Kestrel (port 0) over a repository of the fraud classifier, version 1 serving and
/// version 2 on disk for a canary, with the admin calls and the inference traffic the tests need.
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    public const string Endpoint = "fraud";

    private readonly TempDirectory _repo;
    private readonly TempDirectory _data;
    private readonly WebApplication _app;
    private readonly string? _token;
    private readonly CancellationTokenSource _stopTraffic = new();
    private Task _traffic = Task.CompletedTask;

    private DashboardServer(TempDirectory repo, TempDirectory data, WebApplication app, string? token)
    {
        _repo = repo;
        _data = data;
        _app = app;
        _token = token;
        var port = app.Services.GetRequiredService<ListenEndpoints>().HttpPort;
        BaseUrl = $"http://127.0.0.1:{port}";
        Client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
    }

    public string BaseUrl { get; }

    public string DashboardUrl => BaseUrl + "/dashboard/";

    public HttpClient Client { get; }

    /// <summary>Inference requests answered while traffic flowed.</summary>
    public int Answered { get; private set; }

    public static async Task<DashboardServer> StartAsync(string? token = null)
    {
        var repo = new TempDirectory();
        var data = new TempDirectory();
        File.WriteAllText(repo.Combine(Endpoint, "config.yaml"), SampleModels.FraudConfigYaml);
        File.WriteAllBytes(repo.Combine(Endpoint, "1", "model.onnx"), SampleModels.BuildFraud(1));
        var settings = UsherSettings.Create(
            new ServerOptions { Host = "127.0.0.1", HttpPort = 0, GrpcPort = 0 },
            new RepositoryOptions { Path = repo.Path, UnloadTimeoutSeconds = 5 },
            admin: new AdminOptions { DataDir = data.Path, Token = token });
        var app = UsherServer.Build(settings);
        await app.StartAsync();
        await app.Services.GetRequiredService<ModelManager>().InitialLoad.WaitAsync(TimeSpan.FromSeconds(60));
        await app.Services.GetRequiredService<ControlPlaneHost>().Started.WaitAsync(TimeSpan.FromSeconds(60));
        await app.Services.GetRequiredService<Usher.Server.Frontends.FrontendWarmup>().Finished.WaitAsync(TimeSpan.FromSeconds(60));
        return new DashboardServer(repo, data, app, token);
    }

    /// <summary>Writes version 2 of the classifier, for a canary to deploy.</summary>
    public void AddVersion2()
        => File.WriteAllBytes(_repo.Combine(Endpoint, "2", "model.onnx"), SampleModels.BuildFraud(2));

    /// <summary>Sends inference requests one after another, a few milliseconds apart, until disposed (at most 30,000).</summary>
    public void StartTraffic()
    {
        var cancel = _stopTraffic.Token;
        _traffic = Task.Run(async () =>
        {
            var random = new Random(17);
            for (var i = 0; i < 30_000 && !cancel.IsCancellationRequested; i++)
            {
                var row = Enumerable.Range(0, SampleModels.FraudFeatures).Select(_ => Math.Round((random.NextDouble() * 4) - 2, 4)).ToArray();
                var body = JsonSerializer.Serialize(new { inputs = new[] { new { name = "features", shape = new[] { 1, SampleModels.FraudFeatures }, datatype = "FP32", data = row } } });
                try
                {
                    using var response = await Client.PostAsync($"/v2/models/{Endpoint}/infer", new StringContent(body, Encoding.UTF8, "application/json"), cancel);
                    if (response.IsSuccessStatusCode)
                    {
                        Answered++;
                    }

                    // Pacing, not waiting: keeps the load light enough for the browser to share the machine.
                    await Task.Delay(5, cancel);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    /// <summary>Stops the traffic <see cref="StartTraffic"/> started, so the numbers the page shows settle.</summary>
    public async Task StopTrafficAsync()
    {
        await _stopTraffic.CancelAsync();
        await _traffic;
    }

    /// <summary>One inference request with an id and a routing key (an experiment's unit); answers the variant that served it.</summary>
    public async Task<string> InferAsync(string id, string routingKey, int seed)
    {
        var random = new Random(seed);
        var row = Enumerable.Range(0, SampleModels.FraudFeatures).Select(_ => Math.Round((random.NextDouble() * 4) - 2, 4)).ToArray();
        var body = JsonSerializer.Serialize(new { id, inputs = new[] { new { name = "features", shape = new[] { 1, SampleModels.FraudFeatures }, datatype = "FP32", data = row } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{Endpoint}/infer") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-usher-routing-key", routingKey);
        using var response = await Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return response.Headers.GetValues("x-usher-variant").Single();
    }

    /// <summary>Starts a rollout of <paramref name="spec"/> (the deployment spec's JSON keys).</summary>
    public Task<JsonElement> DeployAsync(object spec) => AdminAsync(HttpMethod.Post, "/admin/deployments", spec, HttpStatusCode.Created);

    /// <summary>An admin call with the server's token; asserts the status and answers the JSON.</summary>
    public async Task<JsonElement> AdminAsync(HttpMethod method, string path, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path);
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Starts a canary of version 2 whose steps wait ten minutes: only the dashboard moves it.</summary>
    public Task<JsonElement> DeployCanaryAsync()
        => AdminAsync(HttpMethod.Post, "/admin/deployments", new
        {
            endpoint = Endpoint,
            version = 2,
            strategy = "canary",
            canary = new { steps = new[] { 25, 50, 100 }, interval = "10m" },
        }, HttpStatusCode.Created);

    public async ValueTask DisposeAsync()
    {
        await _stopTraffic.CancelAsync();
        await _traffic;
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopTraffic.Dispose();
        _data.Dispose();
        _repo.Dispose();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{BaseUrl} ({Answered} answered)");
}
