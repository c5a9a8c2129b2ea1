using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Tensors;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class InferenceEndpointTests : IAsyncLifetime
{
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        TestModels.WriteIdentityAllTypes(_repo.Combine("identity", "1"));
        TestModels.WriteScalarModel(_repo.Combine("scalar", "1"));
        TestModels.WriteOddNamesModel(_repo.Combine("odd", "1"));
        _app = await UsherApp.StartAsync(_repo.Path);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    private static float[] Row(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 30).Select(_ => (float)((random.NextDouble() * 4) - 2))];
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json)
        => _app.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Theory]
    [InlineData("/v2/models/fraud/infer", 2)]
    [InlineData("/v2/models/fraud/versions/1/infer", 1)]
    [InlineData("/v2/models/fraud/versions/2/infer", 2)]
    public async Task Infer_Fraud_MatchesAPlainForwardPass(string path, int version)
    {
        float[][] rows = [Row(1), Row(2), Row(3)];
        var request = new
        {
            id = "req-7",
            inputs = new[] { new { name = "features", shape = new[] { 3, 30 }, datatype = "FP32", data = rows } },
        };
        var json = await HttpAssert.OkJsonAsync(await _app.Client.PostAsJsonAsync(path, request));

        Assert.Equal("fraud", json.GetProperty("model_name").GetString());
        Assert.Equal(version.ToString(CultureInfo.InvariantCulture), json.GetProperty("model_version").GetString());
        Assert.Equal("req-7", json.GetProperty("id").GetString());
        var outputs = json.GetProperty("outputs");
        var probabilities = outputs[0];
        Assert.Equal("probabilities", probabilities.GetProperty("name").GetString());
        Assert.Equal([3, 2], probabilities.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var data = probabilities.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var labels = outputs[1].GetProperty("data").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        for (var r = 0; r < rows.Length; r++)
        {
            var expected = ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(version), rows[r]));
            Assert.Equal(expected[0], data[r * 2], 5);
            Assert.Equal(expected[1], data[(r * 2) + 1], 5);
            Assert.Equal(expected[1] > expected[0] ? 1 : 0, labels[r]);
        }
    }

    [Fact]
    public async Task Infer_WithoutId_OmitsIdAndFlatDataEqualsNested()
    {
        var row = Row(9);
        var flat = await HttpAssert.OkJsonAsync(await _app.Client.PostAsJsonAsync("/v2/models/fraud/infer", new { inputs = new[] { new { name = "features", shape = new[] { 1, 30 }, datatype = "FP32", data = row } } }));
        var nested = await HttpAssert.OkJsonAsync(await _app.Client.PostAsJsonAsync("/v2/models/fraud/infer", new { inputs = new[] { new { name = "features", shape = new[] { 1, 30 }, datatype = "FP32", data = new[] { row } } } }));
        Assert.False(flat.TryGetProperty("id", out _));
        Assert.Equal(flat.GetProperty("outputs").GetRawText(), nested.GetProperty("outputs").GetRawText());
    }

    [Fact]
    public async Task Infer_WithOutputsSelected_ReturnsOnlyThoseInThatOrder()
    {
        var body = $$"""{"parameters":{"priority":1,"note":"x","flag":true},"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":{{JsonSerializer.Serialize(Row(4))}}}],"outputs":[{"name":"label"}]}""";
        var json = await HttpAssert.OkJsonAsync(await PostAsync("/v2/models/fraud/infer", body));
        var output = Assert.Single(json.GetProperty("outputs").EnumerateArray());
        Assert.Equal("label", output.GetProperty("name").GetString());
        Assert.Equal("INT64", output.GetProperty("datatype").GetString());
    }

    [Theory]
    [InlineData("INT64", "[[-9223372036854775808, 9223372036854775807]]")]
    [InlineData("UINT64", "[[0, 18446744073709551615]]")]
    [InlineData("BOOL", "[[true, false]]")]
    [InlineData("INT8", "[[-128, 127]]")]
    [InlineData("UINT16", "[[0, 65535]]")]
    [InlineData("FP64", "[[0.1, -2.5E+300]]")]
    [InlineData("BYTES", "[[\"héllo\", \"\"]]")]
    public async Task Infer_Identity_ReturnsExactlyWhatWasSent(string datatype, string data)
    {
        Assert.True(DataTypes.TryParse(datatype, out var type));
        var input = TestModels.InputName(type);
        var body = $$"""{"inputs":[{"name":"{{input}}","shape":[1,2],"datatype":"{{datatype}}","data":{{data}}}],"outputs":[{"name":"{{TestModels.OutputName(type)}}"}]}""";
        var json = await HttpAssert.OkJsonAsync(await PostAsync("/v2/models/identity/infer", BuildIdentityRequest(body, type)));
        var output = json.GetProperty("outputs")[0];
        using var sent = JsonDocument.Parse(data);
        Assert.Equal(
            sent.RootElement[0].EnumerateArray().Select(e => e.GetRawText().Replace(" ", string.Empty, StringComparison.Ordinal)),
            output.GetProperty("data").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? JsonSerializer.Serialize(e.GetString(), new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) : e.GetRawText()));
    }

    // The identity model takes every datatype at once: fill the others with one zero each.
    private static string BuildIdentityRequest(string body, DataType chosen)
    {
        using var doc = JsonDocument.Parse(body);
        var inputs = new List<string> { doc.RootElement.GetProperty("inputs")[0].GetRawText() };
        foreach (var type in Enum.GetValues<DataType>().Where(t => t != chosen))
        {
            var zero = type switch { DataType.Bool => "false", DataType.Bytes => "\"\"", _ => "0" };
            inputs.Add($$"""{"name":"{{TestModels.InputName(type)}}","shape":[1,1],"datatype":"{{type.ToProtocolName()}}","data":[{{zero}}]}""");
        }

        return $$"""{"inputs":[{{string.Join(",", inputs)}}],"outputs":{{doc.RootElement.GetProperty("outputs").GetRawText()}}}""";
    }

    [Fact]
    public async Task Infer_ScalarInput_IsAccepted()
    {
        var body = """{"inputs":[{"name":"sr","shape":[],"datatype":"INT64","data":[3]},{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""";
        var json = await HttpAssert.OkJsonAsync(await PostAsync("/v2/models/scalar/infer", body));
        Assert.Equal([3.0, 6, 9, 12], json.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
    }

    [Fact]
    public async Task Infer_OutputsWhoseNamesAreNotIdentifiers_AreReturnedByName()
    {
        var body = """{"inputs":[{"name":"input.1","shape":[1,3],"datatype":"FP32","data":[1,-2,0.5]}],"outputs":[{"name":"onnx::Flatten_0"},{"name":"39"},{"name":"out/0:1"}]}""";
        var json = await HttpAssert.OkJsonAsync(await PostAsync("/v2/models/odd/infer", body));
        var outputs = json.GetProperty("outputs");
        Assert.Equal(["onnx::Flatten_0", "39", "out/0:1"], outputs.EnumerateArray().Select(o => o.GetProperty("name").GetString()));
        Assert.Equal([1.0, 2.0, 0.5], outputs[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal([-1.0, 2.0, -0.5], outputs[1].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal([1.0, -2.0, 0.5], outputs[2].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
    }

    [Fact]
    public async Task Infer_ManyConcurrentRequests_EachGetsItsOwnAnswer()
    {
        var tasks = Enumerable.Range(0, 40).Select(async i =>
        {
            var row = Row(100 + i);
            var bad = i % 5 == 0;
            var request = new { id = $"r{i}", inputs = new[] { new { name = "features", shape = new[] { 1, bad ? 29 : 30 }, datatype = "FP32", data = bad ? row[..29] : row } } };
            var response = await _app.Client.PostAsJsonAsync("/v2/models/fraud/infer", request);
            if (bad)
            {
                await HttpAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
                return;
            }

            var json = await HttpAssert.OkJsonAsync(response);
            Assert.Equal($"r{i}", json.GetProperty("id").GetString());
            var expected = ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(2), row));
            Assert.Equal(expected[1], json.GetProperty("outputs")[0].GetProperty("data")[1].GetDouble(), 5);
        });
        await Task.WhenAll(tasks);
    }
}
