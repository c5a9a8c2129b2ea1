using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class ArtifactEndpointTests : IAsyncLifetime
{
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;
    private byte[] _version2 = [];

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        TestModels.WriteBroken(_repo.Combine("broken", "1"));
        _version2 = File.ReadAllBytes(_repo.Combine("fraud", "2", "model.onnx"));
        _app = await UsherApp.StartAsync(_repo.Path);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    [Fact]
    public async Task Get_ReadyVersion_StreamsTheModelFileWithItsSha256()
    {
        using var response = await _app.Client.GetAsync("/v2/models/fraud/versions/2/artifact");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_version2, await response.Content.ReadAsByteArrayAsync());
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(_version2));
        Assert.Equal(sha256, response.Headers.GetValues("x-usher-sha256").Single());
        Assert.Equal($"\"{sha256}\"", response.Headers.ETag?.Tag);
        Assert.Contains("bytes", response.Headers.AcceptRanges);
    }

    [Fact]
    public async Task Get_WithARange_AnswersTheRestOfTheFile()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/models/fraud/versions/2/artifact");
        request.Headers.Range = new RangeHeaderValue(100, null);
        request.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(_version2))}\""));

        using var response = await _app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(_version2[100..], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes 100-{_version2.Length - 1}/{_version2.Length}", response.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task Get_WithARangeForAnotherFile_AnswersTheWholeNewFile()
    {
        // A resumed download whose first part came from a file that has since changed must start over.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/models/fraud/versions/2/artifact");
        request.Headers.Range = new RangeHeaderValue(100, null);
        request.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue("\"0000\""));

        using var response = await _app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_version2, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_UnknownVersion_Is404_AndAVersionThatFailedToLoad_Is503()
    {
        var unknown = await HttpAssert.ErrorAsync(await _app.Client.GetAsync("/v2/models/fraud/versions/7/artifact"), HttpStatusCode.NotFound);
        var broken = await HttpAssert.ErrorAsync(await _app.Client.GetAsync("/v2/models/broken/versions/1/artifact"), HttpStatusCode.ServiceUnavailable);

        Assert.Contains("no version 7", unknown, StringComparison.Ordinal);
        Assert.Contains("model 'broken' is not ready", broken, StringComparison.Ordinal);
    }
}
