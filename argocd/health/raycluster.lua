-- Argo CD health check for ray.io/RayCluster (KubeRay v1.7.0), delivered as
-- resource.customizations.health.ray.io_RayCluster in argocd-cm (see docs/argocd.md).
-- Argo CD runs it without the standard libraries: base and table only, no string or math.
--
-- Sources (ray-operator/ at v1.7.0):
--   apis/ray/v1/raycluster_types.go: State ready/suspended (failed is deprecated), conditions
--     RayClusterProvisioned (sticky once True), HeadPodReady, ReplicaFailure,
--     RayClusterSuspending, RayClusterSuspended.
--   controllers/ray/raycluster_controller.go calculateStatus: State becomes ready when all Pods
--     run and never goes back (only to suspended), so HeadPodReady decides after provisioning;
--     conditions exist only with the RayClusterStatusConditions feature gate (on by default).
-- status.observedGeneration is deliberately not used: the operator writes status only when
-- another status field changes (updateRayClusterStatus, utils/consistency.go), so a spec change
-- that changes nothing observable would leave it behind forever and the check Progressing.

local function condition(status, conditionType)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

-- " (Reason): message" of a condition, leaving out what is empty.
local function detail(c)
  local text = ""
  if c.reason ~= nil and c.reason ~= "" then
    text = " (" .. c.reason .. ")"
  end
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local function workers(status)
  return tostring(status.readyWorkerReplicas or 0) .. "/" .. tostring(status.desiredWorkerReplicas or 0)
    .. " worker Pods ready"
end

local function result(health, message)
  return { status = health, message = message }
end

local function assess(obj)
  local status = obj.status
  if status == nil then
    return result("Progressing", "waiting for the KubeRay operator to report status"
      .. " (an invalid spec shows only as a Warning event on the RayCluster)")
  end
  local spec = obj.spec or {}
  local labels = (obj.metadata or {}).labels or {}

  local suspended = status.state == "suspended" or isTrue(condition(status, "RayClusterSuspended"))
  if spec.suspend == true then
    if not suspended then
      return result("Progressing", "suspending: deleting all Ray Pods")
    end
    local queue = labels["kueue.x-k8s.io/queue-name"]
    if queue ~= nil then
      return result("Suspended", 'suspended until Kueue admits it (LocalQueue "' .. queue .. '")')
    end
    return result("Suspended", "suspended: spec.suspend is true and all Ray Pods are deleted")
  end
  if isTrue(condition(status, "RayClusterSuspending")) then
    return result("Progressing", "suspending: a started suspension deletes all Ray Pods before the cluster resumes")
  end
  if suspended then
    return result("Progressing", "resuming: recreating Ray Pods, " .. workers(status))
  end

  local failure = condition(status, "ReplicaFailure")
  if isTrue(failure) then
    return result("Degraded", "Pod creation or deletion failed" .. detail(failure))
  end

  local head = condition(status, "HeadPodReady")
  local provisioned = condition(status, "RayClusterProvisioned")
  if provisioned ~= nil then
    if provisioned.status ~= "True" then
      local headText = "head Pod ready"
      if not isTrue(head) then
        headText = "head Pod not ready"
        if head ~= nil then
          headText = headText .. detail(head)
        end
      end
      return result("Progressing", "provisioning Ray Pods: " .. headText .. "; " .. workers(status))
    end
    if head ~= nil and head.status ~= "True" then
      return result("Degraded", "head Pod not ready" .. detail(head) .. "; " .. workers(status))
    end
    return result("Healthy", "Ray cluster ready: head Pod ready, " .. workers(status))
  end

  -- No conditions: the operator runs with RayClusterStatusConditions=false; only State is known.
  if status.state == "ready" then
    return result("Healthy", "Ray cluster ready (state ready), " .. workers(status))
  end
  if status.state == "failed" then
    local reason = ""
    if status.reason ~= nil and status.reason ~= "" then
      reason = ": " .. status.reason
    end
    return result("Degraded", "state failed" .. reason)
  end
  return result("Progressing", "waiting for all Ray Pods to run and be ready, " .. workers(status))
end

return assess(obj)
