//! One simulated gateway's parameters: its own configuration document, CWMP state and
//! attributes under the agent's TR-181/TR-104 tree (`tipring-datamodel`), answering the
//! CPE engine's [`Device`] calls.
//!
//! This is the small equivalent of the agent's `AgentDevice` (agent/agent/src/cwmp.rs),
//! without what a simulated gateway has no use for (the configuration store on disk,
//! DHCP, the factory URL chain, value-change watching of live port state). Both answer
//! through [`tipring_cpe::tree`]: every value is read from the tree over the gateway's own
//! [`GatewayConfig`] + [`CwmpState`], and a SetParameterValues goes through [`Tree::set`]
//! (validated as a whole, dial plans checked with `tipring-line`'s parser, all or nothing)
//! and replaces the configuration.

use std::sync::Arc;

use tipring_config::GatewayConfig;
use tipring_cpe::{tree, Device, SetFault};
use tipring_cwmp::{
    AddObjectResponse, DeviceId, FaultCode, ParameterAttribute, ParameterInfo, ParameterValue,
    SetParameterAttributesStruct, Status,
};
use tipring_datamodel::{Attributes, CwmpState, DeviceIdentity, LiveState, Tree};

/// A simulated gateway's data model (see the module docs).
pub struct SimDevice {
    /// The configuration in force (what the ACS pushed, once provisioned).
    pub config: GatewayConfig,
    /// ManagementServer settings without a configuration field, and the ParameterKey.
    pub state: CwmpState,
    /// Notification / AccessList.
    pub attributes: Attributes,
    /// DeviceInfo (its own serial number).
    pub identity: DeviceIdentity,
    /// The live snapshot, the same for every gateway of the fleet (idle ports).
    pub live: Arc<LiveState>,
    /// The pre-registration's initial secret (HTTP Basic until the ACS sets a password).
    pub initial_secret: Option<String>,
    /// SetParameterValues calls applied.
    pub sets: u32,
}

impl std::fmt::Debug for SimDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimDevice")
            .field("serial", &self.identity.serial_number)
            .field("sets", &self.sets)
            .finish_non_exhaustive()
    }
}

impl SimDevice {
    fn tree(&self) -> Tree<'_> {
        Tree::new(&self.config, &self.state, &self.live, &self.identity)
    }

    /// The device id the provisioner knows it by (`OUI-ProductClass-Serial`), the HTTP
    /// username before the ACS sets one.
    pub fn device_key_id(&self) -> String {
        tipring_acs::model::DeviceKey {
            oui: self.identity.manufacturer_oui.clone(),
            product_class: self.identity.product_class.clone(),
            serial: self.identity.serial_number.clone(),
        }
        .id()
    }

    /// HTTP credentials toward the ACS now: ManagementServer.Username/Password once the
    /// ACS set them, else the device id and the initial secret; `None`: no credentials.
    pub fn credentials(&self) -> Option<(String, String)> {
        let cwmp = self.config.management.cwmp.as_ref();
        if let Some(pw) = cwmp.and_then(|c| c.password.as_ref()) {
            let user = cwmp
                .and_then(|c| c.username.clone())
                .unwrap_or_else(|| self.device_key_id());
            return Some((user, pw.expose().to_string()));
        }
        self.initial_secret
            .as_ref()
            .map(|s| (self.device_key_id(), s.clone()))
    }

    /// Whether the ACS gave this gateway its own ACS password (provisioned).
    pub fn has_acs_password(&self) -> bool {
        self.config
            .management
            .cwmp
            .as_ref()
            .is_some_and(|c| c.password.is_some())
    }
}

impl Device for SimDevice {
    fn device_id(&self) -> DeviceId {
        DeviceId {
            manufacturer: self.identity.manufacturer.clone(),
            oui: self.identity.manufacturer_oui.clone(),
            product_class: self.identity.product_class.clone(),
            serial_number: self.identity.serial_number.clone(),
        }
    }

    fn inform_parameters(&mut self) -> Vec<ParameterValue> {
        tree::inform_parameters(&self.tree())
    }

    fn get_values(&mut self, names: &[String]) -> Result<Vec<ParameterValue>, FaultCode> {
        tree::get_values(&self.tree(), names)
    }

    fn get_names(&mut self, path: &str, next: bool) -> Result<Vec<ParameterInfo>, FaultCode> {
        tree::get_names(&self.tree(), path, next)
    }

    fn set_values(&mut self, values: &[ParameterValue], key: &str) -> Result<Status, SetFault> {
        let check = |plan: &str| {
            plan.parse::<tipring_line::dialplan::DialPlan>()
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let applied = tree::set_values(&self.tree().with_dial_plan_check(&check), values)?;
        self.config = applied.config;
        self.state = applied.state;
        self.state.parameter_key = key.to_string();
        self.sets += 1;
        Ok(Status::Applied)
    }

    fn get_attributes(&mut self, names: &[String]) -> Result<Vec<ParameterAttribute>, FaultCode> {
        tree::get_attributes(&self.tree(), &self.attributes, names)
    }

    fn set_attributes(
        &mut self,
        attributes: &[SetParameterAttributesStruct],
    ) -> Result<(), FaultCode> {
        self.attributes = tree::set_attributes(&self.tree(), &self.attributes, attributes)?;
        Ok(())
    }

    fn add_object(&mut self, object: &str, _key: &str) -> Result<AddObjectResponse, FaultCode> {
        tree::add_object(&self.tree(), object)
    }

    fn delete_object(&mut self, object: &str, _key: &str) -> Result<Status, FaultCode> {
        tree::delete_object(&self.tree(), object)
    }

    fn accepts_upload(&self, _file_type: &str) -> Result<(), FaultCode> {
        // A simulated gateway has no log or configuration file to send.
        Err(FaultCode::REQUEST_DENIED)
    }
}
