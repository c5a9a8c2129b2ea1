using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Inference;

/// <summary>
/// Checks a request against a version's signature before it reaches a queue or a backend: input
/// names, datatypes, ranks and shapes, the batch size, and the requested outputs.
/// </summary>
internal static class RequestValidator
{
    /// <summary>Validates <paramref name="request"/>; the error names the input and what was expected.</summary>
    public static InferenceResult<ValidatedRequest> Validate(InferenceRequest request, ModelSignature signature)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(signature);
        if (request.Inputs.Count == 0)
        {
            return InferenceError.Invalid($"the request has no inputs; the model's inputs are: {Describe(signature.Inputs)}");
        }

        // Matched by position in the signature: no dictionary of the request's inputs per request.
        var inputs = new Tensor[signature.Inputs.Count];
        foreach (var input in request.Inputs)
        {
            var index = signature.IndexOfInput(input.Name);
            if (index < 0)
            {
                return InferenceError.Invalid($"unknown input '{input.Name}'; the model's inputs are: {Describe(signature.Inputs)}");
            }

            if (inputs[index] is not null)
            {
                return InferenceError.Invalid($"input '{input.Name}' appears more than once");
            }

            inputs[index] = input;
        }

        var batchSize = -1L;
        string? batchSource = null;
        for (var i = 0; i < signature.Inputs.Count; i++)
        {
            var spec = signature.Inputs[i];
            var tensor = inputs[i];
            if (tensor is null)
            {
                return InferenceError.Invalid($"missing input '{spec.Name}': expected {Describe(spec)}");
            }

            if (tensor.DataType != spec.DataType || !TensorShape.Matches(spec.Shape, tensor.Shape))
            {
                return InferenceError.Invalid($"input '{spec.Name}': expected {Describe(spec)}, got {tensor.DataType.ToProtocolName()} {TensorShape.Format(tensor.Shape)}");
            }

            if (signature.IsBatched)
            {
                var batch = tensor.Shape[0];
                if (batch < 1)
                {
                    return InferenceError.Invalid($"input '{spec.Name}': the batch dimension (first) must be at least 1, got {batch}");
                }

                if (batch > signature.MaxBatchSize)
                {
                    return InferenceError.Invalid($"input '{spec.Name}': batch size {batch} exceeds the model's max_batch_size {signature.MaxBatchSize}");
                }

                if (batchSource is not null && batch != batchSize)
                {
                    return InferenceError.Invalid($"input '{spec.Name}' has batch size {batch} but input '{batchSource}' has {batchSize}; every input must carry the same batch");
                }

                batchSize = batch;
                batchSource = spec.Name;
            }

            var fileName = signature.InputFileNames[i];
            inputs[i] = fileName == tensor.Name ? tensor : tensor.WithName(fileName);
        }

        if (request.Outputs is null || request.Outputs.Count == 0)
        {
            // Every output, in the model's order: the signature's own lists, built once at load.
            return InferenceResult<ValidatedRequest>.Success(
                new ValidatedRequest(request, inputs, signature.OutputFileNames, signature.OutputClientNames, signature.IsBatched ? (int)batchSize : 0));
        }

        var outputResult = SelectOutputs(request.Outputs, signature);
        if (!outputResult.IsSuccess)
        {
            return outputResult.Error;
        }

        var clientNames = outputResult.Value;
        var fileNames = new string[clientNames.Count];
        for (var i = 0; i < fileNames.Length; i++)
        {
            fileNames[i] = signature.ToFileName(clientNames[i]);
        }

        return InferenceResult<ValidatedRequest>.Success(
            new ValidatedRequest(request, inputs, fileNames, clientNames, signature.IsBatched ? (int)batchSize : 0));
    }

    private static InferenceResult<IReadOnlyList<string>> SelectOutputs(IReadOnlyList<RequestedOutput> requested, ModelSignature signature)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var names = new string[requested.Count];
        for (var i = 0; i < names.Length; i++)
        {
            var name = requested[i].Name;
            if (!signature.OutputsByName.ContainsKey(name))
            {
                return InferenceError.Invalid($"unknown output '{name}'; the model's outputs are: {Describe(signature.Outputs)}");
            }

            if (!seen.Add(name))
            {
                return InferenceError.Invalid($"output '{name}' is asked for more than once");
            }

            names[i] = name;
        }

        return InferenceResult<IReadOnlyList<string>>.Success(names);
    }

    private static string Describe(TensorSpec spec) => $"{spec.DataType.ToProtocolName()} {TensorShape.Format(spec.Shape)}";

    private static string Describe(IReadOnlyList<TensorSpec> specs)
        => string.Join(", ", specs.Select(s => $"'{s.Name}' {Describe(s)}"));
}
