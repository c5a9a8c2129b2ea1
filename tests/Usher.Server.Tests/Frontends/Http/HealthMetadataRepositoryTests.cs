using System.Net;
using System.Text.Json;
using Usher.Core.Repository;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class HealthMetadataRepositoryTests : IAsyncLifetime
{
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        TestModels.WriteFixedBatchModel(_repo.Combine("fixed", "1"));
        TestModels.WriteBroken(_repo.Combine("broken", "1"));
        _app = await UsherApp.StartAsync(_repo.Path);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    [Fact]
    public async Task Live_Is200Json()
        => Assert.True((await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2/health/live"))).GetProperty("live").GetBoolean());

    [Fact]
    public async Task Head_OnHealth_Is200WithoutBody()
    {
        var response = await _app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v2/health/live"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Ready_WithABrokenModel_Is503NamingIt_WhileTheOthersServe()
    {
        var message = await HttpAssert.ErrorAsync(await _app.Client.GetAsync("/v2/health/ready"), HttpStatusCode.ServiceUnavailable);
        Assert.Contains("model 'broken'", message, StringComparison.Ordinal);
        Assert.True((await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2/models/fraud/ready"))).GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task Ready_AfterTheBrokenModelIsUnloaded_Is200()
    {
        await HttpAssert.OkJsonAsync(await _app.Client.PostAsync("/v2/repository/models/broken/unload", null));
        Assert.True((await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2/health/ready"))).GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task ServerMetadata_NamesUsherAndItsExtensions()
    {
        var json = await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2"));
        Assert.Equal("usher", json.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("version").GetString()));
        Assert.Contains("model_repository", json.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task ModelMetadata_ShowsFullShapesVersionsAndState()
    {
        var json = await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2/models/fraud"));
        Assert.Equal(["1", "2"], json.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("onnxruntime_onnx", json.GetProperty("platform").GetString());
        var input = json.GetProperty("inputs")[0];
        Assert.Equal("features", input.GetProperty("name").GetString());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal([-1L, 30], input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal("READY", json.GetProperty("properties").GetProperty("state").GetString());
        Assert.Equal("64", json.GetProperty("properties").GetProperty("max_batch_size").GetString());
        Assert.Equal("2", json.GetProperty("properties").GetProperty("version").GetString());
    }

    [Fact]
    public async Task ModelMetadata_OfAFixedBatchModel_ShowsItUnbatched()
    {
        var json = await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2/models/fixed/versions/1"));
        Assert.Equal("0", json.GetProperty("properties").GetProperty("max_batch_size").GetString());
        Assert.Equal([1L, 4], json.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
    }

    [Fact]
    public async Task ModelMetadata_OfAFailedModel_ShowsStateAndReason()
    {
        var json = await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2/models/broken"));
        var properties = json.GetProperty("properties");
        Assert.Equal("UNAVAILABLE", properties.GetProperty("state").GetString());
        Assert.Contains("model.onnx", properties.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, json.GetProperty("inputs").GetArrayLength());
    }

    [Fact]
    public async Task ModelMetadata_UnknownModelOrVersion_Is404()
    {
        await HttpAssert.ErrorAsync(await _app.Client.GetAsync("/v2/models/nope"), HttpStatusCode.NotFound);
        await HttpAssert.ErrorAsync(await _app.Client.GetAsync("/v2/models/fraud/versions/3"), HttpStatusCode.NotFound);
        await HttpAssert.ErrorAsync(await _app.Client.GetAsync("/v2/models/fraud/versions/3/ready"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ModelReady_OfAFailedModel_Is503()
        => Assert.Contains("not ready", await HttpAssert.ErrorAsync(await _app.Client.GetAsync("/v2/models/broken/ready"), HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);

    [Fact]
    public async Task ListModels_ShowsEveryModelWithVersionsAndStates()
    {
        var json = await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2/models"));
        var models = json.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal(["broken", "fixed", "fraud"], models.Keys.Order());
        Assert.Equal("READY", models["fraud"].GetProperty("state").GetString());
        Assert.Equal(2, models["fraud"].GetProperty("versions").GetArrayLength());
        Assert.Equal("UNAVAILABLE", models["broken"].GetProperty("state").GetString());
        Assert.Contains("model.onnx", models["broken"].GetProperty("versions")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepositoryIndex_ListsEveryVersionAndFiltersReady()
    {
        var all = await HttpAssert.OkJsonAsync(await _app.Client.PostAsync("/v2/repository/index", null));
        Assert.Contains(all.EnumerateArray(), r => r.GetProperty("name").GetString() == "broken" && r.GetProperty("state").GetString() == "UNAVAILABLE");
        var ready = await HttpAssert.OkJsonAsync(await _app.Client.PostAsync("/v2/repository/index", new StringContent("{\"ready\": true}")));
        Assert.All(ready.EnumerateArray(), r => Assert.Equal("READY", r.GetProperty("state").GetString()));
        Assert.Equal(3, ready.GetArrayLength());
        await HttpAssert.ErrorAsync(await _app.Client.PostAsync("/v2/repository/index", new StringContent("{\"ready\": 1}")), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unload_ThenLoad_ServesAgain()
    {
        var unloaded = await HttpAssert.OkJsonAsync(await _app.Client.PostAsync("/v2/repository/models/fixed/unload", null));
        Assert.True(unloaded.GetProperty("unload").GetBoolean());
        Assert.Equal(ModelState.Unavailable, _app.Models.Find("fixed")!.Versions[0].State);
        await HttpAssert.ErrorAsync(await _app.Client.GetAsync("/v2/models/fixed/ready"), HttpStatusCode.ServiceUnavailable);

        var loaded = await HttpAssert.OkJsonAsync(await _app.Client.PostAsync("/v2/repository/models/fixed/load", null));
        Assert.True(loaded.GetProperty("load").GetBoolean());
        Assert.True((await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2/models/fixed/ready"))).GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task Load_OfAnUnknownModel_Is404_AndOfABrokenOne_Is400WithTheReason()
    {
        await HttpAssert.ErrorAsync(await _app.Client.PostAsync("/v2/repository/models/nope/load", null), HttpStatusCode.NotFound);
        var message = await HttpAssert.ErrorAsync(await _app.Client.PostAsync("/v2/repository/models/broken/load", null), HttpStatusCode.BadRequest);
        Assert.Contains("model.onnx", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_WithAnInvalidConfig_Is400_AndTheServingVersionsKeepServing()
    {
        File.WriteAllText(_repo.Combine("fraud", "config.yaml"), "max_batch_sise: 4\n");
        var message = await HttpAssert.ErrorAsync(await _app.Client.PostAsync("/v2/repository/models/fraud/load", null), HttpStatusCode.BadRequest);
        Assert.Contains("max_batch_sise", message, StringComparison.Ordinal);
        var infer = await _app.Client.PostAsync("/v2/models/fraud/infer", new StringContent($$"""{"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":{{JsonSerializer.Serialize(new float[30])}}}]}"""));
        Assert.Equal(HttpStatusCode.OK, infer.StatusCode);
    }
}
