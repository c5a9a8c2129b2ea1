using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Usher.Testing;

namespace Usher.Server.Tests.Dashboard;

public sealed class DashboardEndpointsTests : IAsyncLifetime
{
    private const string Token = "dashboard-endpoints-token-42";

    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        _app = await UsherApp.StartAsync(_repo.Path, admin: a => a.Token = Token);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    [Fact]
    public async Task Dashboard_BarePath_RedirectsToTheFolderSoRelativeLinksResolve()
    {
        using var response = await _app.Client.GetAsync("/dashboard");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/dashboard/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Dashboard_Page_IsServedWithoutTheTokenWithAnETagAndA304WhenUnchanged()
    {
        using var page = await _app.Client.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>Usher dashboard</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("no-cache", page.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var etag = page.Headers.ETag;
        Assert.NotNull(etag);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/dashboard/index.html");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await _app.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        using var stale = new HttpRequestMessage(HttpMethod.Get, "/dashboard/index.html");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
        using var changed = await _app.Client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task Dashboard_VendoredChartLibrary_IsServedByteForByteAsCommitted()
    {
        using var response = await _app.Client.GetAsync("/dashboard/vendor/uplot/uPlot.iife.min.js");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        var served = await response.Content.ReadAsByteArrayAsync();
        var committed = await File.ReadAllBytesAsync(RepoRoot.Combine("src", "Usher.Server", "Dashboard", "wwwroot", "vendor", "uplot", "uPlot.iife.min.js"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(committed)), Convert.ToHexStringLower(SHA256.HashData(served)));

        // The digest its README records.
        Assert.Equal("19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f", Convert.ToHexStringLower(SHA256.HashData(served)));
    }

    [Fact]
    public async Task Dashboard_UnknownFile_Is404WithAnError()
    {
        using var response = await _app.Client.GetAsync("/dashboard/nope.js");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("nope.js", body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/admin/dashboard/metrics")]
    [InlineData("/admin/dashboard/models")]
    [InlineData("/ADMIN/Dashboard/metrics")]
    public async Task DataRoutes_WithoutTheToken_Are401(string path)
    {
        using var response = await _app.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Models_WithTheToken_ListsEachVersionWithItsStateAndFileSize()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/dashboard/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await _app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var fraud = body.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "fraud");
        Assert.Equal("READY", fraud.GetProperty("state").GetString());
        var versions = fraud.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal([1L, 2L], versions.Select(v => v.GetProperty("version").GetInt64()));
        foreach (var v in versions)
        {
            Assert.Equal("READY", v.GetProperty("state").GetString());
            var onDisk = new FileInfo(Path.Combine(_repo.Path, "fraud", v.GetProperty("version").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "model.onnx")).Length;
            Assert.Equal(onDisk, v.GetProperty("file_bytes").GetInt64());
        }

        Assert.True(body.RootElement.GetProperty("process").GetProperty("working_set_bytes").GetInt64() > 0);
    }

    [Fact]
    public async Task Metrics_WithTheToken_AnswersTheDocumentedShape()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/dashboard/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await _app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, body.RootElement.GetProperty("interval_seconds").GetDouble());
        Assert.Equal(JsonValueKind.String, body.RootElement.GetProperty("since").ValueKind);
        Assert.Equal(JsonValueKind.Array, body.RootElement.GetProperty("versions").ValueKind);
        Assert.Equal(JsonValueKind.Array, body.RootElement.GetProperty("endpoints").ValueKind);
    }
}
