// The naive way to serve an ONNX model from .NET, for the comparison in docs/benchmarks.md: a minimal
// ASP.NET Core app as a developer would write it by hand. One InferenceSession per model with default
// options, one Run per request, JSON in and out through System.Text.Json DTOs. No batching, no cache,
// no pooling. Deliberately plain: it is the baseline, not something to tune.
using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

string? repository = null;
var port = 8000;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--repository": repository = args[i + 1]; break;
        case "--port": port = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"NaiveServer: unknown argument '{args[i]}'; usage: NaiveServer --repository DIR [--port N]");
            return 2;
    }
}

if (repository is null || !Directory.Exists(repository))
{
    Console.Error.WriteLine("NaiveServer: --repository DIR is required: a folder of <model>/<version>/model.onnx");
    return 2;
}

// Every model's newest version, loaded once.
var sessions = new Dictionary<string, InferenceSession>(StringComparer.Ordinal);
foreach (var modelDir in Directory.GetDirectories(repository))
{
    var newest = Directory.GetDirectories(modelDir)
        .Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v), Version: v))
        .Where(d => d.Ok && File.Exists(Path.Combine(d.Dir, "model.onnx")))
        .OrderByDescending(d => d.Version)
        .FirstOrDefault();
    if (newest.Dir is not null)
    {
        sessions[Path.GetFileName(modelDir)] = new InferenceSession(Path.Combine(newest.Dir, "model.onnx"));
    }
}

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
var app = builder.Build();

app.MapGet("/v2/health/ready", () => Results.Ok(new { ready = true }));
app.MapPost("/v2/models/{model}/infer", (string model, InferRequest request) =>
{
    if (!sessions.TryGetValue(model, out var session))
    {
        return Results.NotFound(new { error = $"unknown model {model}" });
    }

    var inputs = request.Inputs
        .Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Data, i.Shape.Select(d => (int)d).ToArray())))
        .ToList();
    using var results = session.Run(inputs);
    var outputs = new List<OutputTensor>();
    foreach (var result in results)
    {
        if (result.Value is Tensor<float> floats)
        {
            outputs.Add(new OutputTensor(result.Name, "FP32", floats.Dimensions.ToArray(), floats.ToArray()));
        }
        else if (result.Value is Tensor<long> longs)
        {
            outputs.Add(new OutputTensor(result.Name, "INT64", longs.Dimensions.ToArray(), longs.ToArray()));
        }
    }

    return Results.Ok(new InferResponse(model, outputs));
});

app.Run();
return 0;

/// <summary>An inference request: FP32 inputs with flat data.</summary>
internal sealed record InferRequest([property: JsonPropertyName("inputs")] List<InputTensor> Inputs);

/// <summary>One input tensor.</summary>
internal sealed record InputTensor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] long[] Shape,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("data")] float[] Data);

/// <summary>An inference answer.</summary>
internal sealed record InferResponse(
    [property: JsonPropertyName("model_name")] string ModelName,
    [property: JsonPropertyName("outputs")] List<OutputTensor> Outputs);

/// <summary>One output tensor; data is float[] or long[].</summary>
internal sealed record OutputTensor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("shape")] int[] Shape,
    [property: JsonPropertyName("data")] object Data);
