export { type StandIn, type StandInReply, type StandInRequest, startStandIn } from "@ballast/testkit";
