using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Usher.Backends.Onnx.Samples;
using Usher.Testing;

namespace Usher.Server.Tests.Admin;

/// <summary>A rollout action's JSON body, however the client frames it.</summary>
public sealed class AdminActionBodyTests : IDisposable
{
    private readonly TempDirectory _repo = new();

    public AdminActionBodyTests() => SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);

    public void Dispose() => _repo.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PauseReason_IsKept_WithAContentLengthOrAChunkedBody(bool chunked)
    {
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true);
        using var deploy = await app.Client.PostAsJsonAsync("/admin/deployments", new { endpoint = "fraud", version = 1, strategy = "canary", canary = new { steps = new[] { 10, 100 }, interval = "1h" } });
        Assert.True(deploy.StatusCode == HttpStatusCode.Created, await deploy.Content.ReadAsStringAsync());

        // JsonContent has no length, so HttpClient sends it chunked; StringContent sends a Content-Length.
        HttpContent body = chunked
            ? JsonContent.Create(new { reason = "waiting for the fraud team" })
            : new StringContent("""{"reason": "waiting for the fraud team"}""", System.Text.Encoding.UTF8, "application/json");
        using (body)
        using (var pause = await app.Client.PostAsync(new Uri("/admin/endpoints/fraud/rollout/pause", UriKind.Relative), body))
        {
            Assert.True(pause.StatusCode == HttpStatusCode.OK, await pause.Content.ReadAsStringAsync());
        }

        using var rollout = JsonDocument.Parse(await app.Client.GetStringAsync(new Uri("/admin/endpoints/fraud/rollout", UriKind.Relative)));
        Assert.Equal("waiting for the fraud team", rollout.RootElement.GetProperty("reason").GetString());
    }
}
