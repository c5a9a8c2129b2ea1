using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Usher.Backends.Onnx.Quantization;

namespace Usher.Cli.Optimize;

/// <summary>
/// Reads <c>--calibration FILE</c>: Open Inference Protocol request bodies (<c>{"inputs": [...]}</c>,
/// the JSON that <c>usher bench --input</c> sends), one JSON document, or one per line (JSONL).
/// </summary>
internal static class CalibrationFile
{
    // A calibration set is for measuring, not a data set: bounded so a wrong file cannot exhaust memory.
    private const long MaxBytes = 256L * 1024 * 1024;

    /// <summary>The requests as input batches; null with the problem, naming the line and field.</summary>
    public static List<InputBatch>? Read(string path, out string? problem)
    {
        problem = null;
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            problem = $"--calibration: {path} does not exist";
            return null;
        }

        if (info.Length > MaxBytes)
        {
            problem = $"--calibration: {path} is {info.Length} bytes; at most {MaxBytes} (a few hundred requests are enough)";
            return null;
        }

        var text = File.ReadAllText(path).Trim();
        var documents = IsSingleDocument(text)
            ? [text]
            : text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        var batches = new List<InputBatch>();
        for (var i = 0; i < documents.Length; i++)
        {
            var where = documents.Length == 1 ? path : $"{path} line {i + 1}";
            try
            {
                using var json = JsonDocument.Parse(documents[i]);
                var batch = ToBatch(json.RootElement, where, out problem);
                if (batch is null)
                {
                    return null;
                }

                batches.Add(batch);
            }
            catch (JsonException ex)
            {
                problem = $"--calibration: {where}: not JSON: {ex.Message}";
                return null;
            }
        }

        if (batches.Count == 0)
        {
            problem = $"--calibration: {path} holds no requests";
            return null;
        }

        return batches;
    }

    private static bool IsSingleDocument(string text)
    {
        try
        {
            using var json = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static InputBatch? ToBatch(JsonElement root, string where, out string? problem)
    {
        problem = null;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
        {
            problem = $"--calibration: {where}: expected a request body {{\"inputs\": [{{\"name\", \"shape\", \"datatype\", \"data\"}}]}}";
            return null;
        }

        var values = new List<NamedOnnxValue>();
        var rows = 1;
        foreach (var input in inputs.EnumerateArray())
        {
            var name = input.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
            var datatype = input.TryGetProperty("datatype", out var d) ? d.GetString() ?? "" : "";
            if (!input.TryGetProperty("shape", out var shapeJson) || !input.TryGetProperty("data", out var data) || name.Length == 0)
            {
                problem = $"--calibration: {where}: input '{name}' needs name, shape, datatype and data";
                return null;
            }

            var shape = shapeJson.EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var flat = Flatten(data).ToList();
            var count = shape.Aggregate(1L, (a, x) => a * x);
            if (flat.Count != count)
            {
                problem = $"--calibration: {where}: input '{name}': shape [{string.Join(",", shape)}] needs {count} values, got {flat.Count}";
                return null;
            }

            NamedOnnxValue? value = datatype switch
            {
                "FP32" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(flat.Select(e => e.GetSingle()).ToArray(), shape)),
                "FP64" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<double>(flat.Select(e => e.GetDouble()).ToArray(), shape)),
                "INT64" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(flat.Select(e => e.GetInt64()).ToArray(), shape)),
                "INT32" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<int>(flat.Select(e => e.GetInt32()).ToArray(), shape)),
                "UINT8" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<byte>(flat.Select(e => e.GetByte()).ToArray(), shape)),
                "INT8" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<sbyte>(flat.Select(e => e.GetSByte()).ToArray(), shape)),
                "BOOL" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(flat.Select(e => e.GetBoolean()).ToArray(), shape)),
                _ => null,
            };
            if (value is null)
            {
                problem = $"--calibration: {where}: input '{name}': datatype '{datatype}' is not one of FP32, FP64, INT64, INT32, UINT8, INT8, BOOL";
                return null;
            }

            values.Add(value);
            rows = Math.Max(rows, shape.Length > 0 ? shape[0] : 1);
        }

        return new InputBatch(values, rows);
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement data)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            yield return data;
            yield break;
        }

        foreach (var item in data.EnumerateArray())
        {
            foreach (var leaf in Flatten(item))
            {
                yield return leaf;
            }
        }
    }
}
