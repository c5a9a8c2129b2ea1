using System.Net;
using System.Text;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>Every error case of the REST frontend: status, JSON body, and a message that names the problem.</summary>
public sealed class ErrorResponseTests : IAsyncLifetime
{
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        File.WriteAllText(_repo.Combine("fraud", "config.yaml"), "max_batch_size: 4\nversion_policy: { all: {} }\n");
        TestModels.WriteIdentityAllTypes(_repo.Combine("identity", "1"));
        TestModels.WriteBroken(_repo.Combine("broken", "1"));
        _app = await UsherApp.StartAsync(_repo.Path, server: s => s.MaxRequestBodyBytes = 4096);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    private static string Features(string shape, string datatype, string data)
        => $$"""{"inputs":[{"name":"features","shape":{{shape}},"datatype":"{{datatype}}","data":{{data}}}]}""";

    private static string Zeros(int n) => "[" + string.Join(",", Enumerable.Repeat("0", n)) + "]";

    private async Task<string> PostErrorAsync(string path, string body, HttpStatusCode status)
        => await HttpAssert.ErrorAsync(await _app.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json")), status);

    [Theory]
    [InlineData("{\"inputs\": [", "malformed JSON at line 1")]
    [InlineData("{\"inputs\": [{\"name\": \"features\", \"shape\": [1,30], \"datatype\": \"FP32\" \"data\": []}]}", "malformed JSON at line 1, byte")]
    [InlineData("{}", "inputs")]
    public async Task Infer_MalformedBody_Is400SayingWhere(string body, string expected)
        => Assert.Contains(expected, await PostErrorAsync("/v2/models/fraud/infer", body, HttpStatusCode.BadRequest), StringComparison.Ordinal);

    [Fact]
    public async Task Infer_WrongDatatype_Is400NamingExpectedAndActual()
        => Assert.Equal("input 'features': expected FP32 [-1,30], got INT32 [1,30]", await PostErrorAsync("/v2/models/fraud/infer", Features("[1,30]", "INT32", Zeros(30)), HttpStatusCode.BadRequest));

    [Fact]
    public async Task Infer_WrongShape_Is400()
        => Assert.Equal("input 'features': expected FP32 [-1,30], got FP32 [1,31]", await PostErrorAsync("/v2/models/fraud/infer", Features("[1,31]", "FP32", Zeros(31)), HttpStatusCode.BadRequest));

    [Fact]
    public async Task Infer_WrongRank_Is400()
        => Assert.Equal("input 'features': expected FP32 [-1,30], got FP32 [30]", await PostErrorAsync("/v2/models/fraud/infer", Features("[30]", "FP32", Zeros(30)), HttpStatusCode.BadRequest));

    [Fact]
    public async Task Infer_ElementCountNotProductOfShape_Is400()
        => Assert.Contains("shape [2,30] needs 60 elements, got 30", await PostErrorAsync("/v2/models/fraud/infer", Features("[2,30]", "FP32", Zeros(30)), HttpStatusCode.BadRequest), StringComparison.Ordinal);

    [Fact]
    public async Task Infer_UnknownDatatype_Is400()
        => Assert.Contains("FLOAT32", await PostErrorAsync("/v2/models/fraud/infer", Features("[1,30]", "FLOAT32", Zeros(30)), HttpStatusCode.BadRequest), StringComparison.Ordinal);

    [Theory]
    [InlineData("[-1,30]")]
    [InlineData("[1.5,30]")]
    [InlineData("[\"1\",30]")]
    public async Task Infer_NegativeOrNonIntegerDims_Is400(string shape)
        => Assert.Contains("features", await PostErrorAsync("/v2/models/fraud/infer", Features(shape, "FP32", Zeros(30)), HttpStatusCode.BadRequest), StringComparison.Ordinal);

    [Fact]
    public async Task Infer_UnknownInput_Is400ListingTheInputs()
    {
        var body = """{"inputs":[{"name":"amount","shape":[1],"datatype":"FP32","data":[1]}]}""";
        var message = await PostErrorAsync("/v2/models/fraud/infer", body, HttpStatusCode.BadRequest);
        Assert.Contains("unknown input 'amount'", message, StringComparison.Ordinal);
        Assert.Contains("'features' FP32 [-1,30]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_MissingInput_Is400()
    {
        var body = """{"inputs":[{"name":"in_fp32","shape":[1,1],"datatype":"FP32","data":[1]}]}""";
        Assert.StartsWith("missing input 'in_bool'", await PostErrorAsync("/v2/models/identity/infer", body, HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_UnknownOutput_Is400()
    {
        var body = Features("[1,30]", "FP32", Zeros(30)).TrimEnd('}') + ""","outputs":[{"name":"score"}]}""";
        Assert.Contains("unknown output 'score'", await PostErrorAsync("/v2/models/fraud/infer", body, HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_DuplicateInputName_Is400()
    {
        var input = """{"name":"features","shape":[1,30],"datatype":"FP32","data":""" + Zeros(30) + "}";
        Assert.Equal("input 'features' appears more than once", await PostErrorAsync("/v2/models/fraud/infer", $$"""{"inputs":[{{input}},{{input}}]}""", HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Infer_DuplicateOutputName_Is400()
    {
        var body = Features("[1,30]", "FP32", Zeros(30)).TrimEnd('}') + ""","outputs":[{"name":"label"},{"name":"label"}]}""";
        Assert.Equal("output 'label' is asked for more than once", await PostErrorAsync("/v2/models/fraud/infer", body, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Infer_BatchLargerThanMaxBatchSize_Is400()
        => Assert.Equal("input 'features': batch size 5 exceeds the model's max_batch_size 4", await PostErrorAsync("/v2/models/fraud/infer", Features("[5,30]", "FP32", Zeros(150)), HttpStatusCode.BadRequest));

    [Theory]
    [InlineData("INT64", "[9223372036854775808]")]
    [InlineData("UINT64", "[18446744073709551616]")]
    [InlineData("UINT64", "[-1]")]
    [InlineData("INT8", "[128]")]
    public async Task Infer_IntegerOutOfRange_Is400(string datatype, string data)
    {
        var name = "in_" + datatype.ToLowerInvariant();
        var body = $$"""{"inputs":[{"name":"{{name}}","shape":[1,1],"datatype":"{{datatype}}","data":{{data}}}]}""";
        var message = await PostErrorAsync("/v2/models/identity/infer", body, HttpStatusCode.BadRequest);
        Assert.Contains(name, message, StringComparison.Ordinal);
        Assert.Contains(datatype, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_UnknownModel_Is404()
        => Assert.Equal("unknown model 'nope'", await PostErrorAsync("/v2/models/nope/infer", Features("[1,30]", "FP32", Zeros(30)), HttpStatusCode.NotFound));

    [Theory]
    [InlineData("7", "model 'fraud' has no version 7 (versions: 1, 2)")]
    [InlineData("v1", "model 'fraud' has no version 'v1': versions are positive integers")]
    public async Task Infer_UnknownVersion_Is404(string version, string expected)
        => Assert.Equal(expected, await PostErrorAsync($"/v2/models/fraud/versions/{version}/infer", Features("[1,30]", "FP32", Zeros(30)), HttpStatusCode.NotFound));

    [Fact]
    public async Task Infer_ModelThatFailedToLoad_Is503WithTheReason()
    {
        var message = await PostErrorAsync("/v2/models/broken/infer", Features("[1,30]", "FP32", Zeros(30)), HttpStatusCode.ServiceUnavailable);
        Assert.Contains("model 'broken' has no ready version", message, StringComparison.Ordinal);
        Assert.Contains("model.onnx", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_BodyOverTheLimit_Is413()
    {
        var message = await PostErrorAsync("/v2/models/fraud/infer", Features("[1,30]", "FP32", Zeros(30)) + new string(' ', 5000), HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("4096", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRoute_Is404Json()
        => Assert.Contains("/v2/nothing", await HttpAssert.ErrorAsync(await _app.Client.GetAsync("/v2/nothing"), HttpStatusCode.NotFound), StringComparison.Ordinal);

    [Fact]
    public async Task WrongMethod_Is405Json()
        => Assert.Contains("GET", await HttpAssert.ErrorAsync(await _app.Client.GetAsync("/v2/models/fraud/infer"), HttpStatusCode.MethodNotAllowed), StringComparison.Ordinal);

    [Fact]
    public async Task OneBadRequest_DoesNotAffectTheNext()
    {
        await PostErrorAsync("/v2/models/fraud/infer", "{\"inputs\": [", HttpStatusCode.BadRequest);
        var ok = await _app.Client.PostAsync("/v2/models/fraud/infer", new StringContent(Features("[1,30]", "FP32", Zeros(30)), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
