using Grpc.Core;
using Usher.Server.Protos;

namespace Usher.Cli.Bench;

/// <summary>Calls <c>ModelInfer</c> with the same prepared request through a shared channel.</summary>
internal sealed class GrpcSender(GRPCInferenceService.GRPCInferenceServiceClient client, ModelInferRequest request) : IRequestSender
{
    public async Task<(string? Failure, ServerSplit? Split)> SendAsync(CancellationToken cancellationToken)
    {
        try
        {
            await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            return (null, null);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return (ex.StatusCode == StatusCode.DeadlineExceeded ? "timeout" : "grpc-" + ex.StatusCode, null);
        }
    }
}
