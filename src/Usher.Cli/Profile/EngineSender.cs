using Usher.Cli.Bench;
using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Engine;

namespace Usher.Cli.Profile;

/// <summary>
/// <c>usher bench</c>'s sender, in process: each request goes through the engine's request path
/// (validation, scheduler, dynamic batcher, instance pool), as a request to <c>usher serve</c> does
/// after its frontend has decoded it.
/// </summary>
internal sealed class EngineSender(UsherEngine engine, string model, long version, IReadOnlyList<Tensor> inputs) : IRequestSender
{
    /// <inheritdoc />
    public async Task<(string? Failure, ServerSplit? Split)> SendAsync(CancellationToken cancellationToken)
    {
        var request = new InferenceRequest { ModelName = model, ModelVersion = version, Inputs = inputs };
        var answer = await engine.RunAsync(request, cancellationToken).ConfigureAwait(false);
        return (answer.IsSuccess ? null : answer.Error.Kind.ToString(), null);
    }
}
