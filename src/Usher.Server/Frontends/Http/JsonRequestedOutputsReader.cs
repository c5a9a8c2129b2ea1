using System.Text.Json;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Reads the <c>outputs</c> of an inference request (protocol §2.5): which outputs to return, in which
/// order, each with its own parameters. Absent, null or empty means every output.
/// </summary>
internal static class JsonRequestedOutputsReader
{
    public static InferenceResult<IReadOnlyList<RequestedOutput>?> Read(JsonElement outputs)
    {
        if (outputs.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return InferenceResult<IReadOnlyList<RequestedOutput>?>.Success(null);
        }

        if (outputs.ValueKind != JsonValueKind.Array)
        {
            return InferenceError.Invalid($"'outputs' must be an array of outputs, got {JsonText.Describe(outputs)}");
        }

        var requested = new RequestedOutput[outputs.GetArrayLength()];
        if (requested.Length == 0)
        {
            // As in Triton: asking for no output in particular means every output.
            return InferenceResult<IReadOnlyList<RequestedOutput>?>.Success(null);
        }

        var position = 0;
        foreach (var output in outputs.EnumerateArray())
        {
            var read = ReadOutput(output, position);
            if (!read.IsSuccess)
            {
                return read.Error;
            }

            requested[position++] = read.Value;
        }

        return InferenceResult<IReadOnlyList<RequestedOutput>?>.Success(requested);
    }

    private static InferenceResult<RequestedOutput> ReadOutput(JsonElement output, int position)
    {
        if (output.ValueKind != JsonValueKind.Object)
        {
            return InferenceError.Invalid($"outputs[{position}] must be an object, got {JsonText.Describe(output)}");
        }

        JsonElement name = default, parameters = default;
        foreach (var property in output.EnumerateObject())
        {
            if (property.NameEquals("name"u8))
            {
                name = property.Value;
            }
            else if (property.NameEquals("parameters"u8))
            {
                parameters = property.Value;
            }
        }

        if (name.ValueKind != JsonValueKind.String)
        {
            return InferenceError.Invalid(name.ValueKind == JsonValueKind.Undefined
                ? $"outputs[{position}]: missing required field 'name'"
                : $"outputs[{position}]: 'name' must be a string, got {JsonText.Describe(name)}");
        }

        if (!JsonStrings.TryGet(name, out var outputName))
        {
            return JsonStrings.NotText($"outputs[{position}]: 'name'");
        }

        var outputParameters = JsonParameters.Empty;
        if (parameters.ValueKind != JsonValueKind.Undefined)
        {
            var read = JsonParameters.Read(parameters, $"output '{outputName}'");
            if (!read.IsSuccess)
            {
                return read.Error;
            }

            outputParameters = read.Value;
        }

        return InferenceResult<RequestedOutput>.Success(new RequestedOutput(outputName, outputParameters));
    }
}
