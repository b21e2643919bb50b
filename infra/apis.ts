// apis.ts - the two front doors: an API Gateway HTTP API (the REST API /v1, `$default` route → the http function)
// and a WebSocket API for agents (`$connect`, `$disconnect`, `$default` → the ws function) with one stage.
// Invariants: authentication happens in the functions (bearer tokens for /v1, join tokens and node credentials in
// the agent's `hello`); both stages are throttled; the HTTP stage writes access logs with a retention.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LOG_RETENTION } from './function.ts';

/** The WebSocket stage: agents dial wss://{api}.execute-api.{region}.amazonaws.com/agents. */
export const AGENT_STAGE = 'agents';

export class FlurryApis extends Construct {
  readonly http: apigwv2.HttpApi;
  readonly httpStage: apigwv2.HttpStage;
  readonly ws: apigwv2.WebSocketApi;
  readonly wsStage: apigwv2.WebSocketStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: { iid: string }) {
    super(scope, id);
    this.http = new apigwv2.HttpApi(this, 'Http', {
      apiName: `flurry-${props.iid}`,
      description: `Flurry ${props.iid}: REST API /v1`,
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY });
    this.httpStage = new apigwv2.HttpStage(this, 'HttpStage', {
      httpApi: this.http,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 200, burstLimit: 400 },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(this.accessLogs) },
    });
    this.ws = new apigwv2.WebSocketApi(this, 'Agents', {
      apiName: `flurry-${props.iid}-agents`,
      description: `Flurry ${props.iid}: agent link (docs/agent-protocol.md)`,
    });
    this.wsStage = new apigwv2.WebSocketStage(this, 'AgentStage', {
      webSocketApi: this.ws,
      stageName: AGENT_STAGE,
      autoDeploy: true,
      throttle: { rateLimit: 1000, burstLimit: 2000 },
    });
  }

  /** Routes every HTTP request to `fn` (the `$default` route; the Hono app does the routing). */
  routeHttp(fn: lambda.IFunction): void {
    new apigwv2.HttpRoute(this, 'HttpDefault', {
      httpApi: this.http,
      routeKey: apigwv2.HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('HttpApp', fn),
    });
  }

  /** Routes $connect, $disconnect and $default to `fn`. */
  routeAgents(fn: lambda.IFunction): void {
    const integration = new WebSocketLambdaIntegration('AgentLink', fn);
    this.ws.addRoute('$connect', { integration });
    this.ws.addRoute('$disconnect', { integration });
    this.ws.addRoute('$default', { integration });
  }

  /** The HTTP API's base URI without a trailing slash (FLURRY_URI). */
  get httpUri(): string {
    return this.http.apiEndpoint;
  }

  /** wss://… of the agent stage. */
  get agentUri(): string {
    return this.wsStage.url;
  }

  /** https://… of the agent stage's Management API (PostToConnection, DeleteConnection). */
  get callbackUrl(): string {
    return this.wsStage.callbackUrl;
  }

  /** Lets `grantee` post to and close agent connections of this stage only. */
  grantManageConnections(grantee: iam.IGrantable): void {
    const arn = Stack.of(this).formatArn({ service: 'execute-api', resource: this.ws.apiId });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [`${arn}/${AGENT_STAGE}/*/@connections/*`] }),
    );
  }
}
