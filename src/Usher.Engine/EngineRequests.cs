using System.Globalization;
using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Engine;

/// <summary>Builds the server's <see cref="InferenceRequest"/> from the engine's inputs and options.</summary>
internal static class EngineRequests
{
    private static readonly IReadOnlyDictionary<string, object> NoParameters = new Dictionary<string, object>();

    public static InferenceRequest Create(string model, IReadOnlyList<InferenceInput> inputs, InferOptions? options)
    {
        var tensors = new Tensor[inputs.Count];
        for (var i = 0; i < tensors.Length; i++)
        {
            tensors[i] = (inputs[i] ?? throw new ArgumentException($"input {i.ToString(CultureInfo.InvariantCulture)} is null", nameof(inputs))).Tensor;
        }

        return new InferenceRequest
        {
            ModelName = model,
            ModelVersion = options?.Version,
            Inputs = tensors,
            Outputs = options?.Outputs?.Select(name => new RequestedOutput(name, NoParameters)).ToList(),
            Parameters = Parameters(options),
        };
    }

    // The same parameters a client sends the server, read by the same scheduler code.
    private static IReadOnlyDictionary<string, object> Parameters(InferOptions? options)
    {
        if (options?.Priority is null && options?.QueueTimeout is null)
        {
            return NoParameters;
        }

        var parameters = new Dictionary<string, object>(StringComparer.Ordinal);
        if (options.Priority is int priority)
        {
            parameters["priority"] = (long)priority;
        }

        if (options.QueueTimeout is TimeSpan timeout)
        {
            parameters["timeout"] = Math.Max(1L, timeout.Ticks / TimeSpan.TicksPerMicrosecond);
        }

        return parameters;
    }
}
