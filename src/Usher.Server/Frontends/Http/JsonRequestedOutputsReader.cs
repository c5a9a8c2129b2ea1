using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Reads the <c>outputs</c> of an inference request (protocol §2.5): which outputs to return, in which
/// order, each with its own parameters. Absent, null or empty means every output.
/// </summary>
internal static class JsonRequestedOutputsReader
{
    public static InferenceResult<IReadOnlyList<RequestedOutput>?> Read(JsonSlice outputs)
    {
        if (!outputs.IsPresent || outputs.IsNull)
        {
            return InferenceResult<IReadOnlyList<RequestedOutput>?>.Success(null);
        }

        if (!outputs.IsArray)
        {
            return InferenceError.Invalid($"'outputs' must be an array of outputs, got {JsonText.Describe(outputs)}");
        }

        var requested = new RequestedOutput[outputs.ArrayLength()];
        if (requested.Length == 0)
        {
            // As in Triton: asking for no output in particular means every output.
            return InferenceResult<IReadOnlyList<RequestedOutput>?>.Success(null);
        }

        var position = 0;
        foreach (var output in outputs.Items())
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

    private static InferenceResult<RequestedOutput> ReadOutput(JsonSlice output, int position)
    {
        if (!output.IsObject)
        {
            return InferenceError.Invalid($"outputs[{position}] must be an object, got {JsonText.Describe(output)}");
        }

        JsonSlice name = default, parameters = default;
        var properties = output.Properties();
        while (properties.MoveNext())
        {
            if (properties.NameEquals("name"u8))
            {
                name = properties.Value;
            }
            else if (properties.NameEquals("parameters"u8))
            {
                parameters = properties.Value;
            }
        }

        if (!name.IsString)
        {
            return InferenceError.Invalid(!name.IsPresent
                ? $"outputs[{position}]: missing required field 'name'"
                : $"outputs[{position}]: 'name' must be a string, got {JsonText.Describe(name)}");
        }

        if (!JsonStrings.TryGet(name, out var outputName))
        {
            return JsonStrings.NotText($"outputs[{position}]: 'name'");
        }

        var outputParameters = JsonParameters.Empty;
        if (parameters.IsPresent)
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
