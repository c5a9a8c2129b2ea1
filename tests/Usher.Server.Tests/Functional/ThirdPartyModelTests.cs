using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Usher.Backends.Onnx.Samples;
using Usher.Testing;
using Usher.Testing.ThirdParty;

namespace Usher.Server.Tests.Functional;

/// <summary>
/// Real models (two shipped by third parties, the fraud sample) served on real Kestrel and called
/// with a real HttpClient. Every number is checked against ONNX Runtime called directly on the same
/// file, or against the plain-loop reference MLP.
/// </summary>
public sealed class ThirdPartyModelTests : IDisposable
{
    private const double OrtTolerance = 1e-6;
    private const double ReferenceTolerance = 1e-5;

    private readonly TempDirectory _repo = new();

    public void Dispose() => _repo.Dispose();

    [SkippableFact]
    public async Task SileroVad_Metadata_ReportsScalarSampleRateAndNoBatching()
    {
        await CopyThirdPartyAsync(ThirdPartyModel.SileroVad, "silero");
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true);

        var metadata = await GetJsonAsync(app.Client, "/v2/models/silero");

        Assert.Equal("0", (string?)metadata["properties"]!["max_batch_size"]);
        var inputs = ByName(metadata["inputs"]!);
        Assert.Equal(["input", "sr", "state"], inputs.Keys.Order(StringComparer.Ordinal));
        AssertSpec(inputs["input"], "FP32", [-1, -1]);
        AssertSpec(inputs["state"], "FP32", [2, -1, 128]);
        AssertSpec(inputs["sr"], "INT64", []);
    }

    [SkippableFact]
    public async Task SileroVad_Infer_MatchesOnnxRuntimeCalledDirectly()
    {
        var file = await CopyThirdPartyAsync(ThirdPartyModel.SileroVad, "silero");
        var audio = Sine(512, frequencyHz: 440, sampleRate: 16000, amplitude: 0.5f);
        var state = new float[2 * 1 * 128];
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true);

        var body = new JsonObject
        {
            ["id"] = "vad-1",
            ["inputs"] = new JsonArray(
                Input("input", "FP32", [1, 512], audio),
                Input("state", "FP32", [2, 1, 128], state),
                Input("sr", "INT64", [], new long[] { 16000 })),
        };
        using var response = await app.Client.PostAsJsonAsync("/v2/models/silero/infer", body);

        var json = await ReadJsonAsync(response, HttpStatusCode.OK);
        var outputs = ByName(json["outputs"]!);
        Assert.Equal(["output", "stateN"], outputs.Keys.Order(StringComparer.Ordinal));

        using var session = new InferenceSession(file);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(audio, [1, 512]);
        using var stateValue = OrtValue.CreateTensorValueFromMemory(state, [2, 1, 128]);
        using var srValue = OrtValue.CreateTensorValueFromMemory(new long[] { 16000 }, []);
        using var runOptions = new RunOptions();
        using var expected = session.Run(runOptions, ["input", "state", "sr"], [inputValue, stateValue, srValue], ["output", "stateN"]);

        AssertOutputMatches(outputs["output"], "FP32", expected[0]);
        AssertOutputMatches(outputs["stateN"], "FP32", expected[1]);
        Assert.Equal([1, 1], Shape(outputs["output"]));
        Assert.Equal([2, 1, 128], Shape(outputs["stateN"]));
    }

    [SkippableFact]
    public async Task HelloDeepa_Metadata_ReportsFixedBatchOfOneAsUnbatched()
    {
        await CopyThirdPartyAsync(ThirdPartyModel.HelloDeepa, "hello_deepa");
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true);

        var metadata = await GetJsonAsync(app.Client, "/v2/models/hello_deepa");

        Assert.Equal("0", (string?)metadata["properties"]!["max_batch_size"]);
        AssertSpec(Assert.Single(ByName(metadata["inputs"]!), kv => kv.Key == "onnx::Flatten_0").Value, "FP32", [1, 25, 96]);
        Assert.Equal("39", Assert.Single(ByName(metadata["outputs"]!)).Key);
    }

    [SkippableFact]
    public async Task HelloDeepa_Infer_MatchesOnnxRuntimeCalledDirectly()
    {
        var file = await CopyThirdPartyAsync(ThirdPartyModel.HelloDeepa, "hello_deepa");
        var features = RandomFloats(new Random(11), 25 * 96, scale: 2f);
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true);

        var body = new JsonObject { ["inputs"] = new JsonArray(Input("onnx::Flatten_0", "FP32", [1, 25, 96], features)) };
        using var response = await app.Client.PostAsJsonAsync("/v2/models/hello_deepa/infer", body);

        var json = await ReadJsonAsync(response, HttpStatusCode.OK);
        var output = Assert.Single(ByName(json["outputs"]!));
        Assert.Equal("39", output.Key);
        Assert.Equal([1, 1], Shape(output.Value));

        using var session = new InferenceSession(file);
        using var input = OrtValue.CreateTensorValueFromMemory(features, [1, 25, 96]);
        using var runOptions = new RunOptions();
        using var expected = session.Run(runOptions, ["onnx::Flatten_0"], [input], ["39"]);
        AssertOutputMatches(output.Value, "FP32", expected[0]);
    }

    [SkippableFact]
    public async Task HelloDeepa_InferWithBatchOfTwo_Returns400NamingInputAndExpectedShape()
    {
        await CopyThirdPartyAsync(ThirdPartyModel.HelloDeepa, "hello_deepa");
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true);

        var features = RandomFloats(new Random(12), 2 * 25 * 96, scale: 1f);
        var body = new JsonObject { ["inputs"] = new JsonArray(Input("onnx::Flatten_0", "FP32", [2, 25, 96], features)) };
        using var response = await app.Client.PostAsJsonAsync("/v2/models/hello_deepa/infer", body);

        var json = await ReadJsonAsync(response, HttpStatusCode.BadRequest);
        var error = (string?)json["error"];
        Assert.NotNull(error);
        Assert.Contains("onnx::Flatten_0", error, StringComparison.Ordinal);
        Assert.Contains("[1,25,96]", error, StringComparison.Ordinal);
        Assert.Contains("[2,25,96]", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fraud_InferBatchOfFive_MatchesReferenceMlpOfNewestVersion()
    {
        SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true);
        var rows = RandomRows(new Random(5), 5);

        var json = await InferFraudAsync(app.Client, "/v2/models/fraud/infer", rows, "batch-of-five");

        Assert.Equal("2", (string?)json["model_version"]);
        Assert.Equal("fraud", (string?)json["model_name"]);
        Assert.Equal("batch-of-five", (string?)json["id"]);
        AssertFraudOutputs(json, rows, SampleModels.FraudWeights(2));
    }

    [Fact]
    public async Task Fraud_InferPinnedToVersionOne_MatchesReferenceMlpOfVersionOne()
    {
        SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true);
        var rows = RandomRows(new Random(6), 5);

        var json = await InferFraudAsync(app.Client, "/v2/models/fraud/versions/1/infer", rows, "pinned");

        Assert.Equal("1", (string?)json["model_version"]);
        Assert.Equal("pinned", (string?)json["id"]);
        AssertFraudOutputs(json, rows, SampleModels.FraudWeights(1));

        // The two versions' weights differ, so matching version 1 is not an accident of version 2.
        var v2 = ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(2), rows[0]));
        var v1 = ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(1), rows[0]));
        Assert.True(Math.Abs(v1[0] - v2[0]) > 1e-3, $"versions 1 and 2 give nearly the same probability ({v1[0]} vs {v2[0]}); pick other rows");
    }

    private async Task<string> CopyThirdPartyAsync(ThirdPartyModel model, string name)
    {
        var source = await ThirdPartyModels.GetAsync(model);
        var target = _repo.Combine(name, "1", "model.onnx");
        File.Copy(source, target);
        return source;
    }

    private static async Task<JsonNode> InferFraudAsync(HttpClient client, string path, float[][] rows, string id)
    {
        var body = new JsonObject
        {
            ["id"] = id,
            ["inputs"] = new JsonArray(Input("features", "FP32", [rows.Length, SampleModels.FraudFeatures], [.. rows.SelectMany(r => r)])),
        };
        using var response = await client.PostAsJsonAsync(path, body);
        return await ReadJsonAsync(response, HttpStatusCode.OK);
    }

    private static void AssertFraudOutputs(JsonNode json, float[][] rows, MlpWeights weights)
    {
        var outputs = ByName(json["outputs"]!);
        var probabilities = outputs["probabilities"];
        var labels = outputs["label"];
        Assert.Equal("FP32", (string?)probabilities["datatype"]);
        Assert.Equal([rows.Length, SampleModels.FraudClasses], Shape(probabilities));
        Assert.Equal("INT64", (string?)labels["datatype"]);
        Assert.Equal([rows.Length], Shape(labels));
        var p = probabilities["data"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var l = labels["data"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray();
        for (var r = 0; r < rows.Length; r++)
        {
            var expected = ReferenceMlp.Softmax(ReferenceMlp.Forward(weights, rows[r]));
            for (var c = 0; c < SampleModels.FraudClasses; c++)
            {
                var actual = p[(r * SampleModels.FraudClasses) + c];
                Assert.True(Math.Abs(expected[c] - actual) <= ReferenceTolerance, $"row {r} class {c}: expected {expected[c]}, got {actual}");
            }

            Assert.Equal(Array.IndexOf(expected, expected.Max()), l[r]);
        }
    }

    private static void AssertOutputMatches(JsonNode output, string datatype, OrtValue expected)
    {
        Assert.Equal(datatype, (string?)output["datatype"]);
        Assert.Equal(expected.GetTensorTypeAndShape().Shape, Shape(output));
        var want = expected.GetTensorDataAsSpan<float>().ToArray();
        var got = output["data"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.Equal(want.Length, got.Length);
        for (var i = 0; i < want.Length; i++)
        {
            Assert.True(Math.Abs(want[i] - got[i]) <= OrtTolerance, $"{output["name"]}[{i}]: ONNX Runtime gives {want[i]}, the server {got[i]}");
        }
    }

    private static void AssertSpec(JsonNode spec, string datatype, long[] shape)
    {
        Assert.Equal(datatype, (string?)spec["datatype"]);
        Assert.Equal(shape, Shape(spec));
    }

    private static Dictionary<string, JsonNode> ByName(JsonNode tensors)
        => tensors.AsArray().ToDictionary(t => (string)t!["name"]!, t => t!, StringComparer.Ordinal);

    private static long[] Shape(JsonNode tensor) => [.. tensor["shape"]!.AsArray().Select(d => d!.GetValue<long>())];

    private static JsonObject Input<T>(string name, string datatype, long[] shape, T[] data)
        => new()
        {
            ["name"] = name,
            ["datatype"] = datatype,
            ["shape"] = JsonSerializer.SerializeToNode(shape),
            ["data"] = JsonSerializer.SerializeToNode(data),
        };

    private static async Task<JsonNode> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        return await ReadJsonAsync(response, HttpStatusCode.OK);
    }

    private static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static float[] Sine(int length, double frequencyHz, double sampleRate, float amplitude)
    {
        var samples = new float[length];
        for (var i = 0; i < length; i++)
        {
            samples[i] = amplitude * (float)Math.Sin(2 * Math.PI * frequencyHz * i / sampleRate);
        }

        return samples;
    }

    private static float[] RandomFloats(Random random, int length, float scale)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        }

        return values;
    }

    private static float[][] RandomRows(Random random, int count)
        => [.. Enumerable.Range(0, count).Select(_ => RandomFloats(random, SampleModels.FraudFeatures, scale: 3f))];
}
