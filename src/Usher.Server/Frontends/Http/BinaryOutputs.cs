using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Which outputs a REST response carries as binary data (protocol §5): every output when the request
/// has <c>parameters.binary_data_output = true</c>, unless an output's own <c>binary_data</c> says
/// otherwise.
/// </summary>
internal sealed class BinaryOutputs
{
    private readonly bool _all;
    private readonly Dictionary<string, bool>? _perOutput;

    private BinaryOutputs(bool all, Dictionary<string, bool>? perOutput)
    {
        _all = all;
        _perOutput = perOutput;
    }

    /// <summary>Every output as JSON data.</summary>
    public static BinaryOutputs None { get; } = new(false, null);

    /// <summary>True when at least one output may be binary (the response is then framed).</summary>
    public bool Any => _all || (_perOutput?.ContainsValue(true) ?? false);

    public static InferenceResult<BinaryOutputs> From(InferenceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var all = false;
        if (request.Parameters.TryGetValue("binary_data_output", out var value))
        {
            if (value is not bool flag)
            {
                return InferenceError.Invalid($"request: parameter 'binary_data_output' must be true or false, got {value}");
            }

            all = flag;
        }

        Dictionary<string, bool>? perOutput = null;
        foreach (var output in request.Outputs ?? [])
        {
            if (output.Parameters.TryGetValue("binary_data", out var own))
            {
                if (own is not bool flag)
                {
                    return InferenceError.Invalid($"output '{output.Name}': parameter 'binary_data' must be true or false, got {own}");
                }

                perOutput ??= new Dictionary<string, bool>(StringComparer.Ordinal);
                perOutput[output.Name] = flag;
            }
        }

        return InferenceResult<BinaryOutputs>.Success(all || perOutput is not null ? new BinaryOutputs(all, perOutput) : None);
    }

    public bool IsBinary(string output) => _perOutput is not null && _perOutput.TryGetValue(output, out var own) ? own : _all;
}
